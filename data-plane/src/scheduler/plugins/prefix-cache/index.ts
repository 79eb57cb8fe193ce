// prefix-cache scorer: approximate prefix-cache affinity without engine events. Score = leading
// blocks of the prompt the endpoint is believed to hold / blocks in the prompt. Placements are
// recorded after a successful request (observe) into the shared PrefixIndex, which the gateway
// also feeds with peers' placements. A hotspot guard makes affinity yield to load (README.md).
import type { PluginSpec } from '../../registry.js';
import type { EndpointView, RequestInfo, Scorer } from '../../types.js';
import { requestLoad } from '../least-request/index.js';
import { DEFAULT_BLOCK_PARAMS, promptBlockHashes, type BlockParams } from './blocks.js';

export interface HotspotGuard {
  /** The warm endpoint's load must exceed the coldest's by more than this many requests… */
  maxExtraLoad: number;
  /** …and be more than this multiple of the coldest's load, for affinity to be ignored. */
  maxLoadRatio: number;
}

export interface PrefixCacheParams {
  blockChars?: number;
  maxBlocks?: number;
  hotspot?: Partial<HotspotGuard> & { enabled?: boolean };
  /** Weight of engine-queued requests in the load estimate (as least-request). */
  waitingWeight?: number;
  staleSampleMs?: number;
}

export const DEFAULT_HOTSPOT_GUARD: HotspotGuard = { maxExtraLoad: 8, maxLoadRatio: 1.5 };

/** True when an endpoint with load `load` is saturated compared with the coldest (`minLoad`). */
export function isHotspot(load: number, minLoad: number, g: HotspotGuard): boolean {
  return load - minLoad > g.maxExtraLoad && load > g.maxLoadRatio * minLoad;
}

/** Matched fractions with the hotspot guard applied: a saturated warm endpoint scores 0. */
export function guardedScores(matched: readonly number[], loads: readonly number[], g: HotspotGuard | null): number[] {
  if (!g || loads.length === 0) return [...matched];
  const minLoad = Math.min(...loads);
  return matched.map((m, i) => (m > 0 && isHotspot(loads[i], minLoad, g) ? 0 : m));
}

interface Resolved {
  blocks: BlockParams;
  guard: HotspotGuard | null;
  waitingWeight: number;
  staleSampleMs: number;
}

function resolve(params: PrefixCacheParams): Resolved {
  const h = params.hotspot ?? {};
  return {
    blocks: {
      blockChars: params.blockChars ?? DEFAULT_BLOCK_PARAMS.blockChars,
      maxBlocks: params.maxBlocks ?? DEFAULT_BLOCK_PARAMS.maxBlocks,
    },
    guard: h.enabled === false ? null : {
      maxExtraLoad: h.maxExtraLoad ?? DEFAULT_HOTSPOT_GUARD.maxExtraLoad,
      maxLoadRatio: h.maxLoadRatio ?? DEFAULT_HOTSPOT_GUARD.maxLoadRatio,
    },
    waitingWeight: params.waitingWeight ?? 4,
    staleSampleMs: params.staleSampleMs ?? 10_000,
  };
}

export const prefixCache: PluginSpec<'scorer', PrefixCacheParams> = {
  kind: 'scorer',
  name: 'prefix-cache',
  description: 'share of leading prompt blocks the endpoint likely caches, yielding to load on hotspots',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      blockChars: { type: 'integer', minimum: 1, maximum: 4096 },
      maxBlocks: { type: 'integer', minimum: 1, maximum: 4096 },
      waitingWeight: { type: 'number', minimum: 0, maximum: 1000 },
      staleSampleMs: { type: 'number', minimum: 0 },
      hotspot: {
        type: 'object',
        additionalProperties: false,
        properties: {
          enabled: { type: 'boolean' },
          maxExtraLoad: { type: 'number', minimum: 0 },
          maxLoadRatio: { type: 'number', minimum: 1 },
        },
      },
    },
  },
  create(params, ctx): Scorer {
    const p = resolve(params);
    // Per-request state: the prompt's hashes, computed once in score() and reused by observe().
    // Keyed weakly by the request object, so nothing outlives the request.
    const hashesByReq = new WeakMap<RequestInfo, bigint[]>();
    const hashesFor = (req: RequestInfo): bigint[] => {
      let h = hashesByReq.get(req);
      if (!h) {
        h = promptBlockHashes(ctx.hasher, req.model, req.promptText, p.blocks);
        hashesByReq.set(req, h);
      }
      return h;
    };
    return {
      name: 'prefix-cache',
      score(req: RequestInfo, endpoints: readonly EndpointView[]): number[] {
        const hashes = hashesFor(req);
        if (hashes.length === 0) return endpoints.map(() => 0);
        const matched = endpoints.map((e) => ctx.prefixIndex.matchLength(e.id, hashes) / hashes.length);
        const loads = endpoints.map((e) => requestLoad(e, p.waitingWeight, p.staleSampleMs));
        return guardedScores(matched, loads, p.guard);
      },
      observe(req, endpoint, outcome): void {
        if (!outcome.ok) return;
        const hashes = hashesFor(req);
        if (hashes.length === 0) return;
        ctx.prefixIndex.recordPlacement(endpoint.id, hashes, { capacityBlocks: endpoint.kvBlocks, model: req.model });
      },
    };
  },
};
