// The manifests the e2e scenarios apply: a Model of the built-in simulator with cheap, fast
// settings (the `cpu-small` profile), whose engine arguments a test can change.
import { writeFileSync } from 'node:fs';
import type { ResourceInput } from '@matrixinfer/events';
import { join } from 'node:path';

export interface ModelManifestOptions {
  name: string;
  replicas?: number;
  /** Inter-token latency argument of the simulator; changing it changes the engine args. */
  itlMs?: number;
}

/** A Model served by `replicas` simulator replicas (vLLM flavour, cpu-small profile). */
export function modelYaml(o: ModelManifestOptions): string {
  const replicas = o.replicas ?? 2;
  return [
    'apiVersion: registry.matrixinfer.ai/v1alpha1',
    'kind: Model',
    'metadata:',
    `  name: ${o.name}`,
    'spec:',
    `  name: ${o.name}`,
    '  owner: e2e',
    '  backends:',
    '    - name: sim',
    '      type: vLLM',
    '      modelURI: hf://e2e/tiny',
    `      minReplicas: ${replicas}`,
    `      maxReplicas: ${replicas + 2}`,
    '      workers:',
    '        - type: server',
    '          replicas: 1',
    '          config:',
    '            profile: cpu-small',
    `            itl-ms: ${o.itlMs ?? 1}`,
    '',
  ].join('\n');
}

/** Writes `text` to `<dir>/<file>` and returns the path. */
export function writeManifest(dir: string, file: string, text: string): string {
  const path = join(dir, file);
  writeFileSync(path, text);
  return path;
}

/** An AutoscalingPolicy on the gateways' in-flight requests per replica, panic on a step, fast scale-down. */
export function inflightPolicy(o: { name: string; target: number; stableWindow: string; panicWindowPercent: string }): ResourceInput {
  return {
    apiVersion: 'registry.matrixinfer.ai/v1alpha1',
    kind: 'AutoscalingPolicy',
    metadata: { name: o.name, namespace: 'default', annotations: { 'autoscaling.matrixinfer.ai/stable-window': o.stableWindow, 'autoscaling.matrixinfer.ai/panic-window-percent': o.panicWindowPercent } },
    spec: {
      metrics: [{ metricName: 'gateway_in_flight', targetValue: o.target }],
      behavior: { scaleUp: { panicPolicy: { panicModeHold: '2s' } }, scaleDown: { percent: 100, period: '1s' } },
    },
  };
}

/** A Model of one simulator backend (cpu-small) scaled by `policy` between min and max replicas. */
export function autoscaledSimModel(o: { name: string; policy: string; minReplicas: number; maxReplicas: number; itlMs?: number; scaleToZeroGracePeriod?: string }): ResourceInput {
  const config: Record<string, unknown> = { profile: 'cpu-small' };
  if (o.itlMs !== undefined) config['itl-ms'] = o.itlMs;
  const backend: Record<string, unknown> = {
    name: 'sim',
    type: 'vLLM',
    modelURI: 'hf://e2e/tiny',
    minReplicas: o.minReplicas,
    maxReplicas: o.maxReplicas,
    autoscalingPolicyRef: o.policy,
    workers: [{ type: 'server', replicas: 1, config }],
  };
  if (o.scaleToZeroGracePeriod !== undefined) backend.scaleToZeroGracePeriod = o.scaleToZeroGracePeriod;
  return { apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'Model', metadata: { name: o.name, namespace: 'default' }, spec: { name: o.name, backends: [backend] } };
}

/** A one-backend Triton or TorchServe Model on the simulator (a `server` worker, profile cpu-small); `lifecycle` lines go under modelLifecycle. */
export function engineModelYaml(o: { name: string; type: 'Triton' | 'TorchServe'; uri: string; maxReplicas: number; lifecycle?: string[]; timeScale?: number; owner?: string; workerReplicas?: number }): string {
  const lifecycle = o.lifecycle ?? [];
  return [
    'apiVersion: registry.matrixinfer.ai/v1alpha1',
    'kind: Model',
    'metadata:',
    `  name: ${o.name}`,
    'spec:',
    ...(o.owner === undefined ? [] : [`  name: ${o.name}`, `  owner: ${o.owner}`]),
    '  backends:',
    '    - name: sim',
    `      type: ${o.type}`,
    `      modelURI: ${o.uri}`,
    '      minReplicas: 1',
    `      maxReplicas: ${o.maxReplicas}`,
    ...(lifecycle.length > 0 ? ['      modelLifecycle:', ...lifecycle.map((l) => `        ${l}`)] : []),
    '      workers:',
    '        - type: server',
    ...(o.workerReplicas === undefined ? [] : [`          replicas: ${o.workerReplicas}`]),
    '          config:',
    '            profile: cpu-small',
    ...(o.timeScale === undefined ? [] : [`            time-scale: ${o.timeScale}`]),
    '',
  ].join('\n');
}
