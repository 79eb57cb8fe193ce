// Watches: newline-delimited JSON events from a resourceVersion on, as kube-apiserver streams
// them. Resuming from a compacted revision answers one ERROR event with a 410 Expired Status;
// selectors see an object leave (DELETED) or enter (ADDED) when an update moves it; bookmarks
// carry the current revision when asked for; timeoutSeconds ends the stream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fail } from './status.js';
import type { EventType, ObjectStore, StoreEvent } from './store.js';
import type { KObject } from './types.js';

/** One event on the wire. */
export interface WireEvent {
  type: EventType | 'BOOKMARK' | 'ERROR';
  object: unknown;
}

/** The event a watcher with filter `match` sees for a store change, or undefined. */
export function watchEventFor(e: StoreEvent, match: (o: KObject) => boolean): { type: EventType; object: KObject } | undefined {
  const now = e.type !== 'DELETED' && match(e.object);
  const before = e.previous !== undefined && match(e.previous);
  if (e.type === 'ADDED') return now ? { type: 'ADDED', object: e.object } : undefined;
  if (e.type === 'DELETED') return before ? { type: 'DELETED', object: e.object } : undefined;
  if (now && before) return { type: 'MODIFIED', object: e.object };
  if (now) return { type: 'ADDED', object: e.object };
  if (before) return { type: 'DELETED', object: e.object };
  return undefined;
}

/** What one watch request wants. */
export interface WatchRequest {
  resource: string;
  /** Undefined: all namespaces (or cluster-scoped). */
  namespace?: string;
  resourceVersion?: string;
  match: (o: KObject) => boolean;
  present: (o: KObject) => KObject;
  /** Current objects, for a watch without a resourceVersion (they arrive as ADDED first). */
  initial: () => KObject[];
  bookmarks: boolean;
  bookmarkKind: { apiVersion: string; kind: string };
  bookmarkMs: number;
  timeoutMs?: number;
}

/** Streams a watch until the client goes, the timeout passes or the server stops (`stopped`). */
export function serveWatch(req: IncomingMessage, res: ServerResponse, store: ObjectStore, w: WatchRequest, stopped: AbortSignal): void {
  const write = (ev: WireEvent) => res.write(`${JSON.stringify(ev)}\n`);
  const inScope = (e: StoreEvent) => e.resource === w.resource && (w.namespace === undefined || e.object.metadata?.namespace === w.namespace);
  const deliver = (e: StoreEvent) => {
    if (!inScope(e)) return;
    const ev = watchEventFor(e, w.match);
    if (ev) write({ type: ev.type, object: w.present(ev.object) });
  };
  const rvText = w.resourceVersion;
  const fromNow = rvText === undefined || rvText === '' || rvText === '0';
  const from = fromNow ? store.resourceVersion : Number(rvText);
  if (!fromNow && !Number.isInteger(from)) throw fail.badRequest(`invalid resource version: "${rvText}"`);
  const sub = store.subscribe(from, deliver);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  if (sub === 'expired') {
    const s = fail.gone(`too old resource version: ${from} (${store.compactedRevision})`).status;
    write({ type: 'ERROR', object: s });
    res.end();
    return;
  }
  if (fromNow) for (const o of w.initial()) if (w.match(o)) write({ type: 'ADDED', object: w.present(o) });
  for (const e of sub.replay) deliver(e);
  const timers: NodeJS.Timeout[] = [];
  const end = () => {
    sub.unsubscribe();
    for (const t of timers) clearTimeout(t);
    stopped.removeEventListener('abort', end);
    if (!res.writableEnded) res.end();
  };
  if (w.bookmarks) timers.push(setInterval(() => write({ type: 'BOOKMARK', object: { ...w.bookmarkKind, metadata: { resourceVersion: String(store.resourceVersion) } } }), w.bookmarkMs));
  if (w.timeoutMs !== undefined) timers.push(setTimeout(end, w.timeoutMs));
  req.on('close', end);
  res.on('close', end);
  stopped.addEventListener('abort', end);
}
