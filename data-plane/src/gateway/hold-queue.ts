// Scale from zero, gateway side: requests for a model that has a routing entry but no ready
// endpoint wait here (bounded per model, bounded in time) instead of failing at once. The first
// held request of a model signals demand right away (the gateway publishes a GatewaySample with
// `held`), so the autoscaler wakes the model without waiting for the next periodic sample. A
// routing-table swap that brings a ready endpoint releases the model's requests in arrival order
// into the normal scheduling path; past the wait they get 503 "model is starting". A request
// for a LoRA adapter that no ready endpoint has loaded yet waits the same way (503 "adapter not
// loaded" past the wait) until the endpoint controller's load shows up in the table.
// Priority bands (`x-mi-priority: high|normal|low`): release goes band by band, and a full
// queue sheds its lowest band first (the newest request of it) to make room for a higher one.
// Not the hot path: nothing here runs for a request that finds an endpoint.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RouteEndpoint, RouteEntry, RouteServer } from '@matrixinfer/events';
import { adapterNotLoaded, holdQueueFull, modelStarting, shedForPriority, upstreamFailed, type GatewayError } from './errors.js';
import type { RouteTable } from './route-table.js';

/** A held request, as the queue sees it (the Exchange implements it). */
export interface Holdable {
  /** Absolute deadline set when first held (0 before); kept if the request is held again. */
  holdDeadlineMs: number;
  /** Band: 0 high, 1 normal, 2 low (see PRIORITY_BANDS). */
  holdPriority: number;
  /** A ready endpoint appeared: route and schedule again. */
  holdReleased(): void;
  /** The wait is over (or the gateway closes): answer with `err`. */
  holdExpired(err: GatewayError): void;
}

/** The bands a request can name in `x-mi-priority`, highest first (the index is the band). */
export const PRIORITY_BANDS = ['high', 'normal', 'low'] as const;
/** The band of a request that names none. */
export const DEFAULT_PRIORITY = 1;

/** The band of an `x-mi-priority` header value; null when it names no band. */
export function priorityOf(header: string | string[] | undefined): number | null {
  if (header === undefined) return DEFAULT_PRIORITY;
  const i = (PRIORITY_BANDS as readonly string[]).indexOf(String(header).trim().toLowerCase());
  return i < 0 ? null : i;
}

/** Options of a HoldQueue; `timeoutMs` > 0 (0 means "no holding" and is decided by the caller). */
export interface HoldQueueOptions {
  /** Longest wait of one request for a ready endpoint. */
  timeoutMs: number;
  /** Requests held per model at most; one more gets 429 at once (or sheds a lower band). */
  maxPerModel: number;
  /** Retry-After (seconds) sent with the 503s. */
  retryAfterS: number;
  nowMs: () => number;
  registry: Registry;
  /** Called when a model goes from 0 to 1 held request (publish demand now). */
  onDemand: (model: string, namespace: string, held: number) => void;
}

interface ModelHold {
  model: string;
  namespace: string;
  /** The key is a LoRA adapter name (the expiry says so). */
  adapter: boolean;
  /** Insertion-ordered: iteration is arrival order, delete is O(1). */
  items: Set<Holdable>;
  timer: NodeJS.Timeout | null;
  gauge: Gauge.Internal<'model'>;
  released: Counter.Internal;
  expired: Counter.Internal;
  rejected: Counter.Internal;
  shed: Counter.Internal;
}

function hasAdapter(ep: RouteEndpoint, adapter: string): boolean {
  return ep.adapters !== undefined && ep.adapters.includes(adapter);
}

/** True when some endpoint of the server reports `adapter` loaded. */
export function serverHasAdapter(server: RouteServer, adapter: string): boolean {
  for (const ep of server.endpoints) if (hasAdapter(ep, adapter)) return true;
  return false;
}

/** True when some ModelServer of the entry has a ready endpoint (for a LoRA entry: one with the adapter loaded). */
export function hasReadyEndpoint(entry: RouteEntry): boolean {
  for (const name in entry.servers) {
    const server = entry.servers[name];
    if (entry.kind === 'lora' ? serverHasAdapter(server, entry.name) : server.endpoints.length > 0) return true;
  }
  return false;
}

// The request a full queue sheds first: the lowest band's newest.
function lowestNewest(items: Set<Holdable>): Holdable | null {
  let out: Holdable | null = null;
  for (const x of items) if (out === null || x.holdPriority >= out.holdPriority) out = x;
  return out;
}

function expiryDue(q: HoldQueue, h: ModelHold): void {
  q.expireDue(h);
}

/** Per-model bounded queues of held requests of one gateway. */
export class HoldQueue {
  private readonly opts: HoldQueueOptions;
  private readonly models = new Map<string, ModelHold>();
  private readonly heldGauge: Gauge<'model'>;
  private readonly releasedTotal: Counter<'model'>;
  private readonly expiredTotal: Counter<'model'>;
  private readonly rejectedTotal: Counter<'model'>;
  private readonly shedTotal: Counter<'model'>;
  private closed = false;

  constructor(opts: HoldQueueOptions) {
    if (!(opts.timeoutMs > 0)) throw new RangeError(`hold timeoutMs must be > 0, got ${opts.timeoutMs}`);
    if (!Number.isInteger(opts.maxPerModel) || opts.maxPerModel < 1) throw new RangeError(`maxHeldPerModel must be an integer >= 1, got ${opts.maxPerModel}`);
    this.opts = opts;
    const registers = [opts.registry];
    this.heldGauge = new Gauge({ name: 'mi_gateway_held_requests', help: 'Requests held now because their model has no ready endpoint (scale from zero)', labelNames: ['model'], registers });
    this.releasedTotal = new Counter({ name: 'mi_gateway_hold_released_total', help: 'Held requests released to scheduling when an endpoint became ready', labelNames: ['model'], registers });
    this.expiredTotal = new Counter({ name: 'mi_gateway_hold_expired_total', help: 'Held requests answered 503 because no endpoint became ready in time', labelNames: ['model'], registers });
    this.rejectedTotal = new Counter({ name: 'mi_gateway_hold_rejected_total', help: 'Requests answered 429 at once because the hold queue of their model was full', labelNames: ['model'], registers });
    this.shedTotal = new Counter({ name: 'mi_gateway_hold_shed_total', help: 'Held requests of a lower priority band answered 429 to make room for a higher one', labelNames: ['model'], registers });
  }

  private state(model: string, namespace: string, adapter: boolean): ModelHold {
    let h = this.models.get(model);
    if (!h) {
      h = {
        model,
        namespace,
        adapter,
        items: new Set(),
        timer: null,
        gauge: this.heldGauge.labels(model),
        released: this.releasedTotal.labels(model),
        expired: this.expiredTotal.labels(model),
        rejected: this.rejectedTotal.labels(model),
        shed: this.shedTotal.labels(model),
      };
      this.models.set(model, h);
    }
    h.namespace = namespace;
    h.adapter = adapter;
    return h;
  }

  /**
   * Holds `item` for `model` (`adapter`: the name is a LoRA adapter waiting to be loaded);
   * returns an error to answer at once when the queue is full or closed.
   */
  offer(item: Holdable, model: string, namespace: string, adapter = false): GatewayError | null {
    const h = this.state(model, namespace, adapter);
    if (this.closed) return modelStarting(model, 0, this.opts.retryAfterS);
    if (h.items.size >= this.opts.maxPerModel) {
      const victim = lowestNewest(h.items);
      if (victim === null || victim.holdPriority <= item.holdPriority) {
        h.rejected.inc();
        return holdQueueFull(model, this.opts.maxPerModel, this.opts.retryAfterS);
      }
      h.items.delete(victim);
      h.shed.inc();
      victim.holdExpired(shedForPriority(model, PRIORITY_BANDS[victim.holdPriority] ?? String(victim.holdPriority), this.opts.retryAfterS));
    }
    const now = this.opts.nowMs();
    if (item.holdDeadlineMs === 0) item.holdDeadlineMs = now + this.opts.timeoutMs;
    h.items.add(item);
    h.gauge.set(h.items.size);
    if (h.timer === null) this.arm(h, now);
    if (h.items.size === 1) this.opts.onDemand(model, namespace, 1);
    return null;
  }

  /** Removes a held request (its client went away); true when it was held. */
  remove(item: Holdable, model: string): boolean {
    const h = this.models.get(model);
    if (!h || !h.items.delete(item)) return false;
    h.gauge.set(h.items.size);
    if (h.items.size === 0) this.disarm(h);
    return true;
  }

  /** Requests held now for `model`. */
  heldOf(model: string): number {
    return this.models.get(model)?.items.size ?? 0;
  }

  /** Held counts by model (debug, tests). */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [m, h] of this.models) if (h.items.size > 0) out[m] = h.items.size;
    return out;
  }

  /**
   * After a table swap: models whose entry now has a ready endpoint (or no entry any more) get
   * their held requests released in arrival order; they route again against the new table.
   */
  onTable(table: RouteTable): void {
    for (const [model, h] of this.models) {
      const held = table.entries.get(model);
      if (h.items.size === 0) {
        if (!held) this.models.delete(model);
        continue;
      }
      if (held && !hasReadyEndpoint(held.entry)) continue;
      // Band by band, arrival order within a band (sort is stable; the set is in arrival order).
      const batch = [...h.items].sort((a, b) => a.holdPriority - b.holdPriority);
      h.items.clear();
      h.gauge.set(0);
      this.disarm(h);
      h.released.inc(batch.length);
      // A request that lands on a still-empty server is offered again and keeps its deadline.
      for (const item of batch) {
        try {
          item.holdReleased();
        } catch (err) {
          // This runs inside the routing watcher's swap: one failing request must neither stop
          // the watch nor strand the requests after it, and it still gets an answer.
          item.holdExpired(upstreamFailed(`held request could not be scheduled: ${(err as Error).message}`, err));
        }
      }
    }
  }

  /** Answers every request whose deadline passed; re-arms for the next one. */
  expireDue(h: ModelHold): void {
    h.timer = null;
    const now = this.opts.nowMs();
    const due: Holdable[] = [];
    for (const item of h.items) if (item.holdDeadlineMs <= now) due.push(item);
    for (const item of due) h.items.delete(item);
    h.gauge.set(h.items.size);
    if (h.items.size > 0) this.arm(h, now);
    if (due.length > 0) h.expired.inc(due.length);
    for (const item of due) item.holdExpired(this.expiry(h, item, now));
  }

  private expiry(h: ModelHold, item: Holdable, now: number): GatewayError {
    const waited = this.waitedMs(item, now);
    return h.adapter ? adapterNotLoaded(h.model, waited, this.opts.retryAfterS) : modelStarting(h.model, waited, this.opts.retryAfterS);
  }

  /** Stops holding: every held request is answered 503 now, later offers are refused. */
  close(): void {
    this.closed = true;
    for (const h of this.models.values()) {
      const batch = [...h.items];
      h.items.clear();
      h.gauge.set(0);
      this.disarm(h);
      if (batch.length > 0) h.expired.inc(batch.length);
      const now = this.opts.nowMs();
      for (const item of batch) item.holdExpired(this.expiry(h, item, now));
    }
  }

  private waitedMs(item: Holdable, now: number): number {
    return Math.max(0, Math.round(now - (item.holdDeadlineMs - this.opts.timeoutMs)));
  }

  private arm(h: ModelHold, now: number): void {
    let next = Infinity;
    for (const item of h.items) if (item.holdDeadlineMs < next) next = item.holdDeadlineMs;
    if (next === Infinity) return;
    h.timer = setTimeout(expiryDue, Math.max(0, next - now), this, h);
    h.timer.unref();
  }

  private disarm(h: ModelHold): void {
    if (h.timer !== null) clearTimeout(h.timer);
    h.timer = null;
  }
}
