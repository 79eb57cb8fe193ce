// Renders a scheduling decision: a compact, bounded JSON for the `x-mi-explain` response header,
// and a full object for sampled decision events (`mi.decisions.gateway.<ns>.<model>`).
// Never includes prompt text.
import { rngFrom } from './rng.js';
import type { RequestInfo, ScheduleResult } from './types.js';

/** Default bound of the header value (proxies commonly cap a header line at 4-8 KiB). */
export const EXPLAIN_HEADER_MAX_LENGTH = 2048;

const round = (x: number): number => Math.round(x * 1000) / 1000;

function roundAll(scores: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(scores)) out[k] = round(scores[k]);
  return out;
}

/** JSON with every non-ASCII character escaped, so it is a valid HTTP header value. */
function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Compact explain for a response header: picked, filter counts, and the best candidates with
 * their total and per-plugin scores (3 decimals). Candidates are dropped from the tail (counted
 * in `more`) until the value fits `maxLength` characters.
 */
export function explainHeader(result: ScheduleResult, maxLength = EXPLAIN_HEADER_MAX_LENGTH): string {
  const e = result.explain;
  const all = e.scored.map((s) => ({ id: s.endpoint.id, total: round(s.total), scores: roundAll(s.scores) }));
  const base: Record<string, unknown> = { picked: e.picked, filtered: e.filtered };
  if (e.bypassed) base.bypassed = e.bypassed;
  if (e.notes) base.notes = e.notes;
  for (let n = all.length; n >= 0; n--) {
    const v: Record<string, unknown> = { ...base, candidates: all.slice(0, n) };
    if (n < all.length) v.more = all.length - n;
    const s = asciiJson(v);
    if (s.length <= maxLength) return s;
  }
  const minimal = asciiJson({ picked: e.picked, more: all.length });
  return minimal.length <= maxLength ? minimal : asciiJson({ truncated: true }).slice(0, maxLength);
}

/** The full, self-explaining decision record for an event payload. */
export interface DecisionRecord {
  requestId: string;
  model: string;
  adapter?: string;
  timeMs: number;
  /** Endpoints offered before filtering. */
  input: number;
  filtered: Record<string, number>;
  bypassed?: string[];
  notes?: Record<string, string[]>;
  picked: string | null;
  candidates: {
    id: string;
    address: string;
    modelServer: string;
    total: number;
    scores: Record<string, number>;
    load: {
      inFlight: number;
      waiting: number;
      running: number;
      kvUsage: number;
      ttftMs: number | null;
      tpotMs: number | null;
      /** null when the endpoint never reported a sample. */
      sampleAgeMs: number | null;
    };
  }[];
}

/** Builds the full decision record (all candidates, their load inputs and scores). */
export function explainRecord(req: RequestInfo, result: ScheduleResult): DecisionRecord {
  const e = result.explain;
  const rec: DecisionRecord = {
    requestId: req.requestId,
    model: req.model,
    timeMs: req.nowMs,
    input: e.input ?? e.scored.length,
    filtered: { ...e.filtered },
    picked: e.picked,
    candidates: e.scored.map((s) => ({
      id: s.endpoint.id,
      address: s.endpoint.address,
      modelServer: s.endpoint.modelServer,
      total: s.total,
      scores: { ...s.scores },
      load: {
        inFlight: s.endpoint.inFlight,
        waiting: s.endpoint.waiting,
        running: s.endpoint.running,
        kvUsage: s.endpoint.kvUsage,
        ttftMs: s.endpoint.ttftMs ?? null,
        tpotMs: s.endpoint.tpotMs ?? null,
        sampleAgeMs: Number.isFinite(s.endpoint.sampleAgeMs) ? s.endpoint.sampleAgeMs : null,
      },
    })),
  };
  if (req.adapter) rec.adapter = req.adapter;
  if (e.bypassed) rec.bypassed = [...e.bypassed];
  if (e.notes) rec.notes = structuredClone(e.notes);
  return rec;
}

/** Whether to publish this request's decision, for a sampling rate in [0,1] (deterministic per request). */
export function sampleDecision(req: RequestInfo, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return rngFrom(req.random, 99)() < rate;
}

/** True when the request asked for an explanation (`x-mi-explain: true`). */
export function wantsExplain(req: RequestInfo): boolean {
  const v = req.headers['x-mi-explain'];
  const s = Array.isArray(v) ? v[0] : v;
  return s !== undefined && s.trim().toLowerCase() === 'true';
}
