// Streams and KV buckets of architecture.md, created or updated idempotently at start-up.
// Only nats-server 2.9 features are used (no metadata, compression, multi-filter, TTLs): 2.9
// silently drops config fields it does not know, so using them would only pretend to work.
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { BUCKETS, STREAMS, SUBJECT_ROOT } from './names.js';
import { NotFoundError, StreamSetupError } from './errors.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** What we manage of one stream; everything else is left at server defaults. */
export interface StreamSpec {
  name: string;
  subjects: string[];
  /** 0 = unlimited. */
  maxAgeMs: number;
  /** -1 = unlimited. */
  maxBytes: number;
  /** -1 = unlimited. */
  maxMsgsPerSubject: number;
  duplicateWindowMs: number;
  storage: 'file' | 'memory';
  replicas: number;
}

/** The four MatrixInfer streams with their default limits. */
export function defaultStreamSpecs(): Record<keyof typeof STREAMS, StreamSpec> {
  const base = { duplicateWindowMs: 2 * MINUTE_MS, storage: 'file' as const, replicas: 1 };
  return {
    desired: { ...base, name: STREAMS.desired, subjects: [`${SUBJECT_ROOT}.desired.>`], maxAgeMs: 0, maxBytes: -1, maxMsgsPerSubject: 100 },
    observed: { ...base, name: STREAMS.observed, subjects: [`${SUBJECT_ROOT}.observed.>`], maxAgeMs: 7 * DAY_MS, maxBytes: -1, maxMsgsPerSubject: 100 },
    decisions: { ...base, name: STREAMS.decisions, subjects: [`${SUBJECT_ROOT}.decisions.>`], maxAgeMs: 7 * DAY_MS, maxBytes: -1, maxMsgsPerSubject: -1 },
    metrics: { ...base, name: STREAMS.metrics, subjects: [`${SUBJECT_ROOT}.metrics.>`], maxAgeMs: HOUR_MS, maxBytes: 256 * 1024 * 1024, maxMsgsPerSubject: -1 },
  };
}

export interface EnsureStreamsOptions {
  /** Per-stream overrides (name, subjects, limits), e.g. unique names in tests. */
  overrides?: Partial<Record<keyof typeof STREAMS, Partial<StreamSpec>>>;
  /** Replicas of every stream on a NATS cluster (1, 3 or 5); default 1. Never lowered by an ensure. */
  replicas?: number;
}

/** Replicas asked for: 1, 3 or 5 (JetStream's odd sizes; 2 or 4 would keep a quorum no better). */
export function checkReplicas(n: number | undefined): number {
  const r = n ?? 1;
  if (r !== 1 && r !== 3 && r !== 5) throw new StreamSetupError(`JetStream replicas must be 1, 3 or 5, got ${JSON.stringify(n)}`);
  return r;
}

/** Result of ensuring one stream or bucket. */
export type EnsureResult = 'created' | 'updated' | 'unchanged';

function toConfig(spec: StreamSpec): Partial<StreamConfig> {
  return {
    name: spec.name,
    subjects: spec.subjects,
    retention: RetentionPolicy.Limits,
    storage: spec.storage === 'file' ? StorageType.File : StorageType.Memory,
    discard: DiscardPolicy.Old,
    max_age: nanos(spec.maxAgeMs),
    max_bytes: spec.maxBytes,
    max_msgs_per_subject: spec.maxMsgsPerSubject,
    duplicate_window: nanos(spec.duplicateWindowMs),
    num_replicas: spec.replicas,
    // Direct get (2.9+) lets any replica answer "last message of a subject" cheaply.
    allow_direct: true,
  };
}

function sameSubjects(a: string[] | undefined, b: string[]): boolean {
  const x = [...(a ?? [])].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((s, i) => s === y[i]);
}

/** Fields of `want` that differ in `have` (empty = up to date). */
function configDrift(have: StreamConfig, want: Partial<StreamConfig>): string[] {
  const drift: string[] = [];
  if (!sameSubjects(have.subjects, want.subjects ?? [])) drift.push('subjects');
  for (const k of ['max_age', 'max_bytes', 'max_msgs_per_subject', 'duplicate_window', 'num_replicas', 'allow_direct', 'discard'] as const) {
    if (have[k] !== want[k]) drift.push(k);
  }
  return drift;
}

function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

/** Creates the stream of `spec`, or updates its limits when they drifted; never deletes data. */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<EnsureResult> {
  const want = toConfig(spec);
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(spec.name);
  } catch (err) {
    if (!isStreamNotFound(err)) throw new StreamSetupError(`cannot read stream ${spec.name}: ${(err as Error).message}`, { cause: err });
    try {
      await jsm.streams.add({ ...want, name: spec.name });
      return 'created';
    } catch (addErr) {
      throw new StreamSetupError(`cannot create stream ${spec.name}: ${(addErr as Error).message}`, { cause: addErr });
    }
  }
  if (info.config.storage !== want.storage) {
    throw new StreamSetupError(
      `stream ${spec.name} exists with ${info.config.storage} storage but ${want.storage} is wanted; storage cannot be changed in place`,
    );
  }
  // More replicas than asked (raised by an operator, or by another component configured with
  // more) are kept: an ensure by a process that was not told about the cluster must not shrink it.
  if ((info.config.num_replicas ?? 1) > (want.num_replicas ?? 1)) want.num_replicas = info.config.num_replicas;
  if (configDrift(info.config, want).length === 0) return 'unchanged';
  try {
    const { name: _name, storage: _storage, retention: _retention, ...changes } = want;
    await jsm.streams.update(spec.name, changes);
    return 'updated';
  } catch (err) {
    throw new StreamSetupError(`cannot update stream ${spec.name}: ${(err as Error).message}`, { cause: err });
  }
}

/** Ensures MI_DESIRED, MI_OBSERVED, MI_DECISIONS, MI_METRICS (names/limits overridable). */
export async function ensureStreams(jsm: JetStreamManager, opts: EnsureStreamsOptions = {}): Promise<Record<string, EnsureResult>> {
  const specs = defaultStreamSpecs();
  const out: Record<string, EnsureResult> = {};
  const replicas = checkReplicas(opts.replicas);
  for (const key of Object.keys(specs) as (keyof typeof STREAMS)[]) {
    const spec = { ...specs[key], replicas, ...(opts.overrides?.[key] ?? {}) };
    out[spec.name] = await ensureStream(jsm, spec);
  }
  return out;
}

/** What we manage of one KV bucket. */
export interface BucketSpec {
  name: string;
  history: number;
  storage: 'file' | 'memory';
  /** Replicas on a NATS cluster (1, 3 or 5); default 1; never lowered by an ensure. */
  replicas?: number;
}

export interface EnsureBucketsOptions {
  /** Bucket names to ensure; default mi-routes, mi-status, mi-config. */
  names?: string[];
  /** Values kept per key; default 5. */
  history?: number;
  storage?: 'file' | 'memory';
  /** Replicas of every bucket on a NATS cluster (1, 3 or 5); default 1. Never lowered. */
  replicas?: number;
}

/** Creates the bucket, or updates its history (and raises its replicas) when they drifted. */
export async function ensureBucket(js: JetStreamClient, jsm: JetStreamManager, spec: BucketSpec): Promise<EnsureResult> {
  const stream = `KV_${spec.name}`;
  const replicas = checkReplicas(spec.replicas);
  let existed = true;
  try {
    await jsm.streams.info(stream);
  } catch (err) {
    if (!isStreamNotFound(err)) throw new StreamSetupError(`cannot read bucket ${spec.name}: ${(err as Error).message}`, { cause: err });
    existed = false;
  }
  try {
    if (!existed) {
      await new Kvm(js).create(spec.name, {
        history: spec.history,
        storage: spec.storage === 'file' ? StorageType.File : StorageType.Memory,
        replicas: replicas,
      });
      return 'created';
    }
    const info = await jsm.streams.info(stream);
    const changes: Partial<StreamConfig> = {};
    if (info.config.max_msgs_per_subject !== spec.history) changes.max_msgs_per_subject = spec.history;
    if ((info.config.num_replicas ?? 1) < replicas) changes.num_replicas = replicas;
    if (Object.keys(changes).length === 0) return 'unchanged';
    await jsm.streams.update(stream, changes);
    return 'updated';
  } catch (err) {
    throw new StreamSetupError(`cannot ensure bucket ${spec.name}: ${(err as Error).message}`, { cause: err });
  }
}

/** Ensures the KV buckets mi-routes, mi-status, mi-config (history 5 unless overridden). */
export async function ensureBuckets(js: JetStreamClient, jsm: JetStreamManager, opts: EnsureBucketsOptions = {}): Promise<Record<string, EnsureResult>> {
  const names = opts.names ?? [BUCKETS.routes, BUCKETS.status, BUCKETS.config];
  const out: Record<string, EnsureResult> = {};
  for (const name of names) {
    out[name] = await ensureBucket(js, jsm, { name, history: opts.history ?? 5, storage: opts.storage ?? 'file', replicas: opts.replicas });
  }
  return out;
}

/** Opens an existing bucket; NotFoundError (naming ensureBuckets) when it does not exist. */
export async function openKv(js: JetStreamClient, name: string): Promise<KV> {
  const jsm = await js.jetstreamManager();
  try {
    await jsm.streams.info(`KV_${name}`);
  } catch (err) {
    if (isStreamNotFound(err)) throw new NotFoundError(`KV bucket ${name} does not exist; create it with ensureBuckets (done by \`mi up\` at start-up)`, { cause: err });
    throw err;
  }
  return new Kvm(js).open(name, { bindOnly: true });
}
