// prefix-cache scorer: approximate prefix-cache affinity without engine events. Score = leading
// blocks of the prompt the endpoint is believed to hold / blocks in the prompt. Placements are
// recorded when the request is picked and confirmed after success, into the shared PrefixIndex,
// which the gateway also feeds with peers' placements. A hotspot guard makes affinity yield to load;
// a brand-new prefix prefers its rendezvous-hash home while that is not loaded (README.md).
import type { PluginSpec } from '../../registry.js';
import type { EndpointView, RequestInfo, Scorer } from '../../types.js';
import { DEFAULT_BLOCK_PARAMS, promptBlockHashes, SeedMemo, type BlockParams } from './blocks.js';
import { DEFAULT_HOME_RULE, homeInBand, homeIndex, homeKey, type HomeRule } from './home.js';

export interface HotspotGuard {
  /** The warm endpoint must have more than this many requests in flight above the coldest… */
  maxExtraInFlight: number;
  /** …and more than this multiple of the coldest's in-flight count, for affinity to be ignored. */
  maxLoadRatio: number;
}

export interface PrefixCacheParams {
  blockChars?: number;
  maxBlocks?: number;
  hotspot?: Partial<HotspotGuard> & { enabled?: boolean };
  /** Home of brand-new prefixes (home.ts): `score` is what the home scores when preferred. */
  home?: Partial<HomeRule> & { enabled?: boolean; score?: number };
  /**
   * When a placement is recorded: `pick` (default) records the picked endpoint as soon as the
   * request is scheduled and again on success if failover served it elsewhere; `success`
   * records only after a successful response. See README.md for why `pick` is the default.
   */
  recordOn?: 'pick' | 'success';
}

export const DEFAULT_HOTSPOT_GUARD: HotspotGuard = { maxExtraInFlight: 32, maxLoadRatio: 2 };

/** True when a warm endpoint with `inFlight` requests is saturated compared with the coldest (`minInFlight`). */
export function isHotspot(inFlight: number, minInFlight: number, g: HotspotGuard): boolean {
  return inFlight - minInFlight > g.maxExtraInFlight && inFlight > g.maxLoadRatio * minInFlight;
}

/** Indexes of warm endpoints the hotspot guard strips of affinity. */
export function hotspots(matched: readonly number[], inFlight: readonly number[], g: HotspotGuard | null): number[] {
  if (!g || inFlight.length === 0) return [];
  let min = Infinity;
  for (const x of inFlight) if (x < min) min = x;
  const out: number[] = [];
  matched.forEach((m, i) => {
    if (m > 0 && isHotspot(inFlight[i], min, g)) out.push(i);
  });
  return out;
}

/** Matched fractions with the hotspot guard applied: a saturated warm endpoint scores 0. */
export function guardedScores(matched: readonly number[], inFlight: readonly number[], g: HotspotGuard | null): number[] {
  const out = [...matched];
  for (const i of hotspots(matched, inFlight, g)) out[i] = 0;
  return out;
}

interface Resolved {
  recordOn: 'pick' | 'success';
  blocks: BlockParams;
  guard: HotspotGuard | null;
  home: (HomeRule & { score: number }) | null;
}

/** Default score of a preferred home: 1 (× the scorer's weight) outweighs the load scorers' spread. */
export const DEFAULT_HOME_SCORE = 1;

function resolve(params: PrefixCacheParams): Resolved {
  const h = params.hotspot ?? {};
  const home = params.home ?? {};
  return {
    home: home.enabled === false ? null : {
      maxExtraInFlight: home.maxExtraInFlight ?? DEFAULT_HOME_RULE.maxExtraInFlight,
      blocks: home.blocks ?? DEFAULT_HOME_RULE.blocks,
      score: home.score ?? DEFAULT_HOME_SCORE,
    },
    recordOn: params.recordOn ?? 'pick',
    blocks: {
      blockChars: params.blockChars ?? DEFAULT_BLOCK_PARAMS.blockChars,
      maxBlocks: params.maxBlocks ?? DEFAULT_BLOCK_PARAMS.maxBlocks,
    },
    guard: h.enabled === false ? null : {
      maxExtraInFlight: h.maxExtraInFlight ?? DEFAULT_HOTSPOT_GUARD.maxExtraInFlight,
      maxLoadRatio: h.maxLoadRatio ?? DEFAULT_HOTSPOT_GUARD.maxLoadRatio,
    },
  };
}

/** Registry entry of the prefix-cache scorer (name, params schema, factory). */
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
      recordOn: { enum: ['pick', 'success'] },
      hotspot: {
        type: 'object',
        additionalProperties: false,
        properties: {
          enabled: { type: 'boolean' },
          maxExtraInFlight: { type: 'number', minimum: 0 },
          maxLoadRatio: { type: 'number', minimum: 1 },
        },
      },
      home: {
        type: 'object',
        additionalProperties: false,
        properties: {
          enabled: { type: 'boolean' },
          maxExtraInFlight: { type: 'number', minimum: 0 },
          blocks: { type: 'integer', minimum: 1, maximum: 4096 },
          score: { type: 'number', minimum: 0, maximum: 1 },
        },
      },
    },
  },
  create(params, ctx): Scorer {
    const p = resolve(params);
    // Per-request state, keyed weakly by the request object so nothing outlives the request:
    // the prompt's hashes (computed once in score(), reused when recording) and the endpoint
    // already recorded at pick time.
    const state = new WeakMap<RequestInfo, RequestState>();
    const seeds = new SeedMemo(ctx.hasher);
    const stateFor = (req: RequestInfo): RequestState => {
      let st = state.get(req);
      if (!st) {
        st = { hashes: promptBlockHashes(ctx.hasher, req.model, req.promptText, p.blocks, seeds.get(req.model)), recordedOn: null };
        state.set(req, st);
      }
      return st;
    };
    const record = (req: RequestInfo, endpoint: EndpointView, st: RequestState): void => {
      if (st.hashes.length === 0 || st.recordedOn === endpoint.id) return;
      ctx.prefixIndex.recordPlacement(endpoint.id, st.hashes, { capacityBlocks: endpoint.kvBlocks, model: req.model });
      st.recordedOn = endpoint.id;
    };
    return {
      name: 'prefix-cache',
      score(req: RequestInfo, endpoints: readonly EndpointView[]): number[] {
        const st = stateFor(req);
        st.notes = undefined;
        const { hashes } = st;
        if (hashes.length === 0) return endpoints.map(() => 0);
        let known = false;
        const matched = endpoints.map((e) => {
          const n = ctx.prefixIndex.matchLength(e.id, hashes);
          if (n > 0) known = true;
          return n / hashes.length;
        });
        const inFlight = endpoints.map((e) => Math.max(0, e.inFlight));
        const min = Math.min(...inFlight);
        if (!known) {
          // Brand-new prefix: nobody holds even its first block. Its home, while not loaded.
          if (p.home === null) return matched;
          const rule = p.home;
          const h = homeIndex(ctx.hasher, homeKey(hashes, rule.blocks)!, endpoints.map((e) => e.id), (i) => homeInBand(inFlight[i], min, rule));
          matched[h] = rule.score;
          const id = endpoints[h].id;
          const load = inFlight[h];
          st.notes = () => [`new prefix: home ${id} (${load} in flight vs coldest ${min})`];
          return matched;
        }
        const hot = hotspots(matched, inFlight, p.guard);
        if (hot.length === 0) return matched;
        const ignored = hot.map((i) => ({ id: endpoints[i].id, affinity: matched[i], load: inFlight[i] }));
        st.notes = () => ignored.map((x) => `hotspot guard: ignored ${x.affinity.toFixed(2)} affinity to ${x.id} (${x.load} in flight vs coldest ${min})`);
        for (const i of hot) matched[i] = 0;
        return matched;
      },
      notes: (req) => state.get(req)?.notes?.(),
      picked(req, endpoint): void {
        if (p.recordOn === 'pick') record(req, endpoint, stateFor(req));
      },
      observe(req, endpoint, outcome): void {
        if (outcome.ok) record(req, endpoint, stateFor(req));
      },
    };
  },
};

interface RequestState {
  hashes: bigint[];
  /** Endpoint these hashes were last recorded for in this request (avoids a duplicate record). */
  recordedOn: string | null;
  /** Why scores differ from the plain match (new-prefix home, hotspot guard): worded only when explained. */
  notes?: () => string[];
}
