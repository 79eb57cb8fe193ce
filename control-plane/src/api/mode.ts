// Which side holds the truth about resources. In Kubernetes mode (`mi controller --kubernetes`)
// the Kubernetes objects do, and the ingest copies them into MI_DESIRED; a write through `mi
// apply`, `mi delete` or the HTTP API would be overwritten (or resurrected) by the next relist,
// so it is refused with an error naming kubectl. The mode is one key of the `mi-config` bucket,
// so every CLI and API replica sees the same thing; reads keep working.
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { BUCKETS, openKv } from '@matrixinfer/events';
import { SubmitError } from './errors.js';
import { kvJsonReader } from './kv-json.js';

/** Key of the mode in the `mi-config` bucket. */
export const MODE_KEY = 'control-plane.mode';

/** The mode record a Kubernetes-mode controller writes at start. */
export interface ControlPlaneMode {
  mode: 'kubernetes';
  /** Who set it (controller name), for the error message. */
  by: string;
  /** ISO time it was set. */
  since: string;
}

/** A write was refused because Kubernetes holds the truth. */
export class KubernetesModeError extends SubmitError {
  constructor(mode: ControlPlaneMode, what: string) {
    super(
      'MI_ERR_KUBERNETES_MODE',
      `${what} refused: this control plane runs in Kubernetes mode (set by ${mode.by} at ${mode.since}), where the Kubernetes objects are the source of truth; use \`kubectl apply -f FILE\` / \`kubectl delete KIND NAME\` instead (\`mi get\`, \`mi events\` and \`mi replay\` keep working)`,
    );
    this.name = 'KubernetesModeError';
  }
}

/** Parses a stored mode record; null when absent or not a Kubernetes-mode record. */
export function parseMode(v: unknown): ControlPlaneMode | null {
  const m = v as Partial<ControlPlaneMode> | null;
  if (m === null || typeof m !== 'object' || m.mode !== 'kubernetes') return null;
  return { mode: 'kubernetes', by: typeof m.by === 'string' ? m.by : 'a controller', since: typeof m.since === 'string' ? m.since : 'an unknown time' };
}

/** A guard that throws KubernetesModeError when the mode key says Kubernetes (reads the key each time). */
export function kubernetesModeGuard(nc: NatsConnection): (what: string) => Promise<void> {
  const read = kvJsonReader(() => openKv(jetstream(nc), BUCKETS.config));
  return async (what) => {
    const mode = parseMode(await read(MODE_KEY));
    if (mode !== null) throw new KubernetesModeError(mode, what);
  };
}

/** Marks the control plane on `nc` as being in Kubernetes mode (the bucket must exist). */
export async function setKubernetesMode(nc: NatsConnection, by: string, now: () => number = Date.now): Promise<void> {
  const kv = await openKv(jetstream(nc), BUCKETS.config);
  const record: ControlPlaneMode = { mode: 'kubernetes', by, since: new Date(now()).toISOString() };
  await kv.put(MODE_KEY, JSON.stringify(record));
}
