// "The same end state" of one Model, as the crash and chaos suites compare two runs: what is
// routed, the instances the last infer decision asks for, the live resources and the Model's
// conditions; and the decisions, normalized to what they decide (ids, times, uids left out).
import type { NatsConnection } from '@nats-io/transport-node';
import { INSTANCE_OBSERVATION, stableStringify, type InstanceObservation, type InstancesDecision } from '@matrixinfer/events';
import { createNatsResourceService } from '@matrixinfer/control-plane';
import { entryEndpoints, readRoute, readStream, routesKv } from './nats.js';

/** What "the end state" of a Model is. */
export interface EndState {
  endpointIds: string[];
  instances: string[];
  resources: string[];
  modelStatus: string;
}

/** The end state of Model `model` (its ModelInfer is `<model>-sim`, the e2e manifests' backend). */
export async function modelEndState(nc: NatsConnection, model: string): Promise<EndState> {
  const kv = await routesKv(nc);
  const decisions = await readStream<InstancesDecision>(nc, 'decisions', `mi.decisions.infer.default.${model}-sim`);
  const last = decisions.at(-1)?.envelope.data;
  // Read through the same service `mi get` uses (in process: a CLI start per kind is slow here).
  const svc = await createNatsResourceService(nc, 'e2e');
  const got = (await svc.get('Model', 'default', model)) as { status?: { conditions?: { type: string; status: string }[] } };
  const resources: string[] = [];
  for (const kind of ['Model', 'ModelInfer', 'ModelServer', 'ModelRoute', 'AutoscalingPolicyBinding']) {
    resources.push(...(await svc.list(kind, undefined)).map((i) => `${i.kind}/${i.metadata.name}@${i.metadata.generation}`));
  }
  return {
    endpointIds: entryEndpoints(await readRoute(kv, model)).map((e) => e.id),
    // The whole spec of each instance, incarnation included: a needless restart would show.
    instances: (last?.instances ?? []).map((i) => stableStringify({ ...i, incarnation: i.incarnation ?? 0 })),
    resources: resources.sort(),
    modelStatus: (got.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type).sort().join(','),
  };
}

/** Every decision's id and its normalized content (`<subject> <type> <writes|instances>`), in stream order. */
export async function decisionContents(nc: NatsConnection): Promise<{ ids: string[]; contents: string[] }> {
  const evs = await readStream<Record<string, unknown>>(nc, 'decisions');
  return {
    ids: evs.map((e) => e.envelope.id),
    contents: evs.map((e) => {
      const d = e.envelope.data;
      // The owner's uid is random per run (in ownerReferences and the model-uid label); everything else must match.
      return `${e.subject} ${e.envelope.type} ${stableStringify('writes' in d ? d.writes : d.instances)
        .replace(/"uid":"[^"]*"/g, '"uid":"-"')
        .replace(/"registry\.matrixinfer\.ai\/model-uid":"[^"]*"/g, '"registry.matrixinfer.ai/model-uid":"-"')}`;
    }),
  };
}

/** Pids of every engine process the actuator reported (instance observations). */
export async function observedEnginePids(nc: NatsConnection): Promise<number[]> {
  const evs = await readStream<InstanceObservation>(nc, 'observed', 'mi.observed.instance.>');
  return evs.filter((e) => e.envelope.type === INSTANCE_OBSERVATION && e.envelope.data.pid).map((e) => e.envelope.data.pid!);
}
