// An instance's env as the kubelet would build it on one machine: envFrom sources first, then
// env[] (literal values and valueFrom references), with Secret and ConfigMap values from the
// objects `mi apply` stored. A missing reference fails the instance with the object named.
import type { EnvFromSource, EnvVar } from '@matrixinfer/schemas';
import type { InstanceSpec } from '@matrixinfer/events';
import { loadEnvSources } from '../api/env-sources.js';
import type { CoreObjectReader } from '../api/core-store.js';

/** The spec with valueFrom and envFrom resolved into env (unchanged when it has neither). */
export async function resolveInstanceEnv(spec: InstanceSpec, reader: CoreObjectReader | undefined): Promise<InstanceSpec> {
  const refs = Object.entries(spec.valueFrom ?? {});
  const from = (spec.envFrom ?? []) as EnvFromSource[];
  if (refs.length === 0 && from.length === 0) return spec;
  const env: EnvVar[] = [...Object.entries(spec.env).map(([name, value]) => ({ name, value })), ...refs.map(([name, valueFrom]) => ({ name, valueFrom }) as EnvVar)];
  return { ...spec, env: await loadEnvSources(reader ?? { get: async () => null }, spec.namespace, env, from) };
}
