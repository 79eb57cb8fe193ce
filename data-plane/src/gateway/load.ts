// Per-endpoint load as this gateway sees it: its own in-flight counts, peer gateways' latest
// in-flight counts (peer-sync.ts), and the latest engine sample from MI_METRICS. Builds the EndpointViews handed to the scheduler.
import type { EngineSample, RouteServer } from '@matrixinfer/events';
import type { EndpointView } from '../scheduler/types.js';

/** One endpoint in /debug/endpoints: own and peers' in-flight counts, last engine sample. */
export interface DebugLoad {
  inFlight: number;
  peerInFlight: number;
  waiting?: number;
  running?: number;
  kvUsage?: number;
  sampleAgeMs?: number;
}

interface HeldSample {
  sample: EngineSample;
  receivedMs: number;
}

/** Mutable load book of one gateway (one instance per gateway, no globals). */
export class LoadBook {
  private readonly inFlight = new Map<string, number>();
  private readonly samples = new Map<string, HeldSample>();
  /** Sum of peer gateways' in-flight counts per endpoint, replaced whole by peer-sync. */
  private peerInFlight: ReadonlyMap<string, number> = new Map();

  /** Counts a request sent to an endpoint. */
  acquire(id: string): void {
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
  }

  /** Counts a request to an endpoint as finished (success, failure or abort). */
  release(id: string): void {
    const n = (this.inFlight.get(id) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(id);
    else this.inFlight.set(id, n);
  }

  /** This gateway's own in-flight counts by endpoint (published to peers). */
  ownInFlight(): ReadonlyMap<string, number> {
    return this.inFlight;
  }

  /** Replaces the peers' summed in-flight counts (a new map each time; never mutated after). */
  setPeerInFlight(totals: ReadonlyMap<string, number>): void {
    this.peerInFlight = totals;
  }

  /** In-flight requests from this gateway to an endpoint. */
  inFlightOf(id: string): number {
    return this.inFlight.get(id) ?? 0;
  }

  /** Stores an engine sample (keyed by its endpoint id), stamped with local arrival time. */
  recordSample(sample: EngineSample, nowMs: number): void {
    if (typeof sample.endpoint !== 'string') return;
    this.samples.set(sample.endpoint, { sample, receivedMs: nowMs });
  }

  /** Drops samples older than `maxAgeMs` so ids of gone endpoints do not pile up. */
  prune(nowMs: number, maxAgeMs: number): void {
    for (const [id, h] of this.samples) if (nowMs - h.receivedMs > maxAgeMs) this.samples.delete(id);
  }

  /** The views of a ModelServer's ready endpoints at `nowMs`. */
  views(server: RouteServer, nowMs: number): EndpointView[] {
    const out: EndpointView[] = [];
    for (const ep of server.endpoints) out.push(this.view(server.name, ep.id, ep.address, ep.role, ep.pdGroup, ep.adapters, nowMs));
    return out;
  }

  private view(
    modelServer: string,
    id: string,
    address: string,
    role: EndpointView['role'],
    pdGroup: string | undefined,
    adapters: readonly string[] | undefined,
    nowMs: number,
  ): EndpointView {
    const held = this.samples.get(id);
    const s = held?.sample;
    // One object shape for every view (same keys, same order) keeps property access monomorphic.
    return {
      id,
      address,
      modelServer,
      role,
      pdGroup,
      adapters: adapters ?? [],
      inFlight: (this.inFlight.get(id) ?? 0) + (this.peerInFlight.get(id) ?? 0),
      waiting: s?.waiting ?? 0,
      running: s?.running ?? 0,
      kvUsage: s?.kvUsage ?? 0,
      ttftMs: s?.ttft && s.ttft.count > 0 ? (s.ttft.sumSeconds / s.ttft.count) * 1000 : undefined,
      tpotMs: s?.itl && s.itl.count > 0 ? (s.itl.sumSeconds / s.itl.count) * 1000 : undefined,
      kvBlocks: s?.kvBlocks,
      sampleAgeMs: held ? nowMs - held.receivedMs : Infinity,
    };
  }

  /** Snapshot for /debug/endpoints. */
  debug(nowMs: number): Record<string, DebugLoad> {
    const out: Record<string, DebugLoad> = {};
    for (const [id, n] of this.inFlight) out[id] = { inFlight: n, peerInFlight: this.peerInFlight.get(id) ?? 0 };
    for (const [id, n] of this.peerInFlight) out[id] ??= { inFlight: 0, peerInFlight: n };
    for (const [id, h] of this.samples) {
      out[id] = {
        inFlight: this.inFlight.get(id) ?? 0,
        peerInFlight: this.peerInFlight.get(id) ?? 0,
        waiting: h.sample.waiting,
        running: h.sample.running,
        kvUsage: h.sample.kvUsage,
        sampleAgeMs: nowMs - h.receivedMs,
      };
    }
    return out;
  }
}
