// The object store: one etcd-like revision counter over all resources, objects by resource and
// namespace/name, and the event history watches resume from. compact() forgets the history so
// a watch from an older resourceVersion gets 410 Gone, as after an etcd compaction.
import type { KObject, ResourceType } from './types.js';

/** A watch event type on the wire. */
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, kept in history for watches that resume. */
export interface StoreEvent {
  rv: number;
  type: EventType;
  /** resourceKey of the resource type. */
  resource: string;
  object: KObject;
  /** The object before the change (MODIFIED, DELETED). */
  previous?: KObject;
}

/** What a live watcher is given. */
export type StoreListener = (e: StoreEvent) => void;

/** Identifies a resource type in the store (group and plural; one version per group here). */
export function resourceKey(rt: Pick<ResourceType, 'group' | 'plural'>): string {
  return `${rt.plural}.${rt.group}`;
}

const objKey = (ns: string, name: string) => `${ns}/${name}`;

/** In-memory versioned storage; every write bumps the revision and notifies listeners. */
export class ObjectStore {
  private revision = 1;
  private compactedAt = 0;
  private readonly data = new Map<string, Map<string, KObject>>();
  private history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();

  /** The current revision (what a list reports as metadata.resourceVersion). */
  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest revision a watch may resume from without 410. */
  get compactedRevision(): number {
    return this.compactedAt;
  }

  private bucket(resource: string): Map<string, KObject> {
    let b = this.data.get(resource);
    if (!b) this.data.set(resource, (b = new Map()));
    return b;
  }

  /** A deep copy of one object, or undefined. */
  get(resource: string, ns: string, name: string): KObject | undefined {
    const o = this.data.get(resource)?.get(objKey(ns, name));
    return o === undefined ? undefined : structuredClone(o);
  }

  /** Deep copies of every object of a resource (in one namespace when ns is given), sorted by namespace/name. */
  list(resource: string, ns?: string): KObject[] {
    const out: KObject[] = [];
    for (const [k, o] of [...(this.data.get(resource) ?? new Map<string, KObject>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (ns === undefined || k.startsWith(`${ns}/`)) out.push(structuredClone(o));
    }
    return out;
  }

  /** Every object of every resource (for garbage collection), not copied: do not mutate. */
  *all(): Iterable<{ resource: string; object: KObject }> {
    for (const [resource, b] of this.data) for (const object of b.values()) yield { resource, object };
  }

  /** Stores an object (create or replace), stamping a new resourceVersion; returns the stored copy. */
  put(resource: string, obj: KObject): KObject {
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const b = this.bucket(resource);
    const previous = b.get(objKey(ns, name));
    const stored = structuredClone(obj);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.revision) };
    b.set(objKey(ns, name), stored);
    this.emit({ rv: this.revision, type: previous ? 'MODIFIED' : 'ADDED', resource, object: stored, previous });
    return structuredClone(stored);
  }

  /** Removes an object; the DELETED event carries it with a new resourceVersion. */
  remove(resource: string, ns: string, name: string): KObject | undefined {
    const b = this.bucket(resource);
    const previous = b.get(objKey(ns, name));
    if (!previous) return undefined;
    b.delete(objKey(ns, name));
    const gone = structuredClone(previous);
    gone.metadata = { ...gone.metadata, resourceVersion: String(++this.revision) };
    this.emit({ rv: this.revision, type: 'DELETED', resource, object: gone, previous });
    return structuredClone(gone);
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    for (const l of [...this.listeners]) l(e);
  }

  /**
   * Events after `fromRv` for a resource, or 'expired' when history before it was compacted.
   * Subscribing happens in the same tick, so no event falls between replay and live delivery.
   */
  subscribe(fromRv: number, listener: StoreListener): { replay: StoreEvent[]; unsubscribe: () => void } | 'expired' {
    if (fromRv < this.compactedAt) return 'expired';
    const replay = this.history.filter((e) => e.rv > fromRv);
    this.listeners.add(listener);
    return { replay, unsubscribe: () => this.listeners.delete(listener) };
  }

  /** Forgets the history: any resourceVersion handed out so far is now too old to watch from. */
  compact(): void {
    this.compactedAt = ++this.revision;
    this.history = [];
  }
}
