// Prefill/decode pairing for disaggregated serving (PD groups): the decode endpoint is chosen by
// the scheduler's pipeline among decode endpoints, then, for each decode candidate in order, the
// best prefill endpoint of the same PD group by the same pipeline. Pure; the gateway runs the
// two-step request (prefill, then decode with the KV transfer fields) over the pairs in order.
import type { EndpointView, RequestInfo, ScheduleOrder, ScheduleResult } from './types.js';

/** One prefill/decode pair to try. */
export interface PdPair {
  prefill: EndpointView;
  decode: EndpointView;
}

/** Pairs and the decisions behind them: explained (ScheduleResult) or orders only (Scheduler.place). */
export interface PdScheduleResult<R extends ScheduleOrder = ScheduleResult> {
  /** Pairs in the order to try (decode order of the pipeline); empty when none can be formed. */
  pairs: PdPair[];
  /** The decision over decode endpoints (for explain). */
  decode: R;
  /** The decision over each PD group's prefill endpoints, by group ('' for ungrouped). */
  prefill: Record<string, R>;
}

/** True when the endpoint set is disaggregated (has prefill-role endpoints). */
export function isPdSet(endpoints: readonly EndpointView[]): boolean {
  return endpoints.some((e) => e.role === 'prefill');
}

/**
 * Pairs decode candidates with the best prefill endpoint of their PD group (an endpoint without
 * a group pairs with ungrouped prefills), at most `maxPairs` pairs. Decode candidates with no
 * prefill partner are skipped. `schedule` is the scheduler's schedule (or place) function.
 */
export function schedulePd<R extends ScheduleOrder>(
  schedule: (req: RequestInfo, endpoints: readonly EndpointView[]) => R,
  req: RequestInfo,
  endpoints: readonly EndpointView[],
  maxPairs = 5,
): PdScheduleResult<R> {
  const prefillsByGroup = new Map<string, EndpointView[]>();
  const decodes: EndpointView[] = [];
  for (const e of endpoints) {
    if (e.role === 'decode') decodes.push(e);
    else if (e.role === 'prefill') {
      const g = e.pdGroup ?? '';
      const list = prefillsByGroup.get(g);
      if (list) list.push(e);
      else prefillsByGroup.set(g, [e]);
    }
  }
  const decode = schedule(req, decodes);
  const prefill: Record<string, R> = {};
  const pairs: PdPair[] = [];
  for (const d of decode.candidates) {
    if (pairs.length >= maxPairs) break;
    const g = d.pdGroup ?? '';
    const pool = prefillsByGroup.get(g);
    if (!pool) continue;
    // The prefill decision depends only on the group: make it once per group.
    const res = (prefill[g] ??= schedule(req, pool));
    const p = res.candidates[0];
    if (p) pairs.push({ prefill: p, decode: d });
  }
  return { pairs, decode, prefill };
}
