// The resource log: desired state of every resource as messages on MI_DESIRED, one subject per
// resource (`mi.desired.<kind>.<ns>.<name>`). Writes use Nats-Expected-Last-Subject-Sequence so
// two writers cannot silently overwrite each other. We NEVER send the
// Nats-Expected-Last-Subject-Sequence-Subject header: on nats-server 2.9.10 it can silently
// disable the check (see reference/nats.md).
import { randomUUID } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager, type PubAck, type StoredMsg } from '@nats-io/jetstream';
import { encodeEvent, makeEvent } from './envelope.js';
import { ConflictError, MiEventsError, NotFoundError, PublishError } from './errors.js';
import { STREAMS, SUBJECT_ROOT, desiredSubject, isSubjectToken } from './names.js';
import { foldResourceEvent, liveResources, replay, type ResourceMap } from './replay.js';
import {
  RESOURCE_APPLIED,
  RESOURCE_DELETED,
  checkResourceInput,
  contentMsgId,
  namespaceOf,
  planApply,
  resourceFromMessage,
  toStoredPayload,
  type ApplyResult,
  type ResourceInput,
  type StoredResource,
} from './resource-meta.js';

const DESIRED_PREFIX = `${SUBJECT_ROOT}.desired`;


/**
 * Expected revision of a write: a subject sequence (resourceVersion as a number), `'absent'`
 * (create only), or `'any'` (read-modify-write with retries on conflict). Omitted: the write
 * expects the revision it just read, so a concurrent writer makes it fail with ConflictError.
 */
export type ExpectedRevision = number | 'absent' | 'any';

export interface ResourceStoreOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Stream holding desired state; default MI_DESIRED (tests pass their own). */
  stream?: string;
  /** Subject prefix; default `mi.desired` (must match the stream's subjects). */
  subjectPrefix?: string;
  /** `source` of the envelopes written; default `events/resource-store`. */
  source?: string;
  /** Clock in epoch ms; default Date.now. */
  now?: () => number;
  /** uid generator; default random UUID. */
  newUid?: () => string;
  /** Attempts for expectedRevision 'any' before giving up with ConflictError; default 5. */
  maxAttempts?: number;
}

export interface ApplyOutcome<R extends StoredResource = StoredResource> {
  resource: R;
  result: ApplyResult;
}

export interface DeleteOutcome {
  /** The version that was deleted. */
  resource: StoredResource;
  /** Stream sequence of the tombstone. */
  revision: number;
}

/** Last message of a resource subject, decoded. */
export interface ResourceRecord {
  subject: string;
  /** Stream sequence of the last message on the subject (0 when there is none). */
  seq: number;
  /** The live resource, or null when the subject is empty or the last message is a tombstone. */
  live: StoredResource | null;
}

export interface ResourceStore {
  /** Writes a version of `resource` (create or update); see ExpectedRevision. */
  apply<R extends StoredResource = StoredResource>(resource: ResourceInput, opts?: { expectedRevision?: ExpectedRevision; traceparent?: string }): Promise<ApplyOutcome<R>>;
  /** Writes a tombstone; NotFoundError when there is no live resource. */
  delete(kind: string, namespace: string, name: string, opts?: { expectedRevision?: number; traceparent?: string }): Promise<DeleteOutcome>;
  /** The live resource, or null. */
  get<R extends StoredResource = StoredResource>(kind: string, namespace: string, name: string): Promise<R | null>;
  /** Live resources, optionally of one kind and namespace, sorted by kind, namespace, name. */
  list<R extends StoredResource = StoredResource>(kind?: string, namespace?: string): Promise<R[]>;
  /** Last message of the resource subject, live or not (for revisions of deleted resources). */
  read(kind: string, namespace: string, name: string): Promise<ResourceRecord>;
}

/** Maps a JetStream "wrong last sequence" rejection to ConflictError; other errors pass through. */
export function toConflict(err: unknown, subject: string, expected: number): unknown {
  if (err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)) {
    const m = /wrong last sequence:?\s*(\d+)/i.exec(err.message);
    return new ConflictError(subject, expected, m ? Number(m[1]) : undefined, { cause: err });
  }
  return err;
}

/** Creates the resource log over MI_DESIRED (or `opts.stream`). */
export function createResourceStore(opts: ResourceStoreOptions): ResourceStore {
  const { js, jsm } = opts;
  const stream = opts.stream ?? STREAMS.desired;
  const prefix = opts.subjectPrefix ?? DESIRED_PREFIX;
  const source = opts.source ?? 'events/resource-store';
  const now = opts.now ?? Date.now;
  const newUid = opts.newUid ?? randomUUID;
  const maxAttempts = opts.maxAttempts ?? 5;

  // desiredSubject validates the tokens; a custom prefix replaces its `mi.desired` head.
  const subjectOf = (kind: string, ns: string, name: string): string => prefix + desiredSubject(kind, ns, name).slice(DESIRED_PREFIX.length);

  async function readSubject(subject: string): Promise<ResourceRecord> {
    let sm: StoredMsg | null;
    try {
      sm = await jsm.streams.getMessage(stream, { last_by_subj: subject });
    } catch (err) {
      throw new PublishError(`cannot read ${subject} from stream ${stream}: ${(err as Error).message}`, { cause: err });
    }
    if (sm === null) return { subject, seq: 0, live: null };
    return { subject, seq: sm.seq, live: resourceFromMessage(sm.seq, sm.data).live };
  }

  // `traceparent` (the causing request's) rides in the envelope; it is not part of the content id.
  async function publish(subject: string, type: string, payload: unknown, expected: number, traceparent?: string): Promise<PubAck> {
    const id = contentMsgId(subject, expected, type, payload);
    const env = makeEvent(type, source, subject, payload, { id, now, traceparent });
    try {
      // Only lastSubjectSequence: never lastSubjectSequenceSubject (2.9.10 trap).
      return await js.publish(subject, encodeEvent(env), { msgID: id, expect: { lastSubjectSequence: expected } });
    } catch (err) {
      const mapped = toConflict(err, subject, expected);
      if (mapped instanceof MiEventsError) throw mapped;
      throw new PublishError(`cannot publish to ${subject}: ${(err as Error).message}`, { cause: err });
    }
  }

  async function applyOnce(input: ResourceInput, subject: string, mode: ExpectedRevision | undefined, traceparent: string | undefined): Promise<ApplyOutcome> {
    const rec = await readSubject(subject);
    if (typeof mode === 'number' && rec.seq !== mode) throw new ConflictError(subject, mode, rec.seq);
    if (mode === 'absent' && rec.live !== null) {
      throw new ConflictError(subject, 0, rec.seq, { message: `conflict on ${subject}: ${input.kind}/${input.metadata.name} already exists (revision ${rec.seq})` });
    }
    const plan = planApply(rec.live, input, { nowMs: now(), newUid });
    if (plan.result === 'unchanged') return { resource: plan.next, result: 'unchanged' };
    const payload = toStoredPayload(plan.next);
    try {
      const ack = await publish(subject, RESOURCE_APPLIED, payload, rec.seq, traceparent);
      return { resource: { ...plan.next, metadata: { ...plan.next.metadata, resourceVersion: String(ack.seq) } }, result: plan.result };
    } catch (err) {
      // Report the caller's expectation, not the internal one, when it was 'absent'.
      if (err instanceof ConflictError && mode === 'absent') throw new ConflictError(subject, 0, err.actual, { cause: err.cause });
      throw err;
    }
  }

  return {
    async apply<R extends StoredResource>(input: ResourceInput, o: { expectedRevision?: ExpectedRevision; traceparent?: string } = {}): Promise<ApplyOutcome<R>> {
      checkResourceInput(input);
      const subject = subjectOf(input.kind, namespaceOf(input), input.metadata.name);
      const mode = o.expectedRevision;
      const attempts = mode === 'any' ? maxAttempts : 1;
      for (let i = 1; ; i++) {
        try {
          return (await applyOnce(input, subject, mode, o.traceparent)) as ApplyOutcome<R>;
        } catch (err) {
          if (!(err instanceof ConflictError) || i >= attempts) throw err;
        }
      }
    },

    async delete(kind, namespace, name, o = {}) {
      const subject = subjectOf(kind, namespace, name);
      const rec = await readSubject(subject);
      if (rec.live === null) throw new NotFoundError(`${kind}/${name} not found in namespace ${namespace}`);
      if (o.expectedRevision !== undefined && rec.seq !== o.expectedRevision) throw new ConflictError(subject, o.expectedRevision, rec.seq);
      const ack = await publish(subject, RESOURCE_DELETED, toStoredPayload(rec.live), rec.seq, o.traceparent);
      return { resource: rec.live, revision: ack.seq };
    },

    async get<R extends StoredResource>(kind: string, namespace: string, name: string): Promise<R | null> {
      return (await readSubject(subjectOf(kind, namespace, name))).live as R | null;
    },

    async read(kind, namespace, name) {
      return readSubject(subjectOf(kind, namespace, name));
    },

    async list<R extends StoredResource>(kind?: string, namespace?: string): Promise<R[]> {
      if (kind !== undefined && !isSubjectToken(kind)) throw new TypeError(`kind ${JSON.stringify(kind)} is not a valid NATS subject token`);
      if (namespace !== undefined && !isSubjectToken(namespace)) throw new TypeError(`namespace ${JSON.stringify(namespace)} is not a valid NATS subject token`);
      const filter = `${prefix}.${kind === undefined ? '*' : kind.toLowerCase()}.${namespace ?? '*'}.*`;
      try {
        // One ephemeral consumer delivering the newest message of each matching subject.
        const { state } = await replay({ js, jsm, stream, filter, from: 'last-per-subject', fold: foldResourceEvent, initial: new Map() as ResourceMap });
        return liveResources(state) as R[];
      } catch (err) {
        if (err instanceof MiEventsError) throw err;
        throw new PublishError(`cannot list ${filter} on stream ${stream}: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}
