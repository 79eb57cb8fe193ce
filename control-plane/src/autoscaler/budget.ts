// A binding's cost ceiling (spec.budget.maxCostPerHour). Costs are per replica per hour in the
// unit of the cost fields. The ceiling is turned into a replica bound before deciding, so the
// core's rate limits and windows see the count that will really run. Then any split that is
// over the ceiling is re-bought cheapest first for the same count.
import type { CostParam } from './cost.js';

/** What a budget allowed at one tick, for the decision event and the status condition. */
export interface BudgetOutcome {
  maxCostPerHour: number;
  /** Cost of the replicas decided (within the ceiling). */
  costPerHour: number;
  /** Replicas the load asked for without the ceiling (after min/max). */
  wantedReplicas: number;
  /** Most replicas the ceiling pays for (within the targets' maxReplicas). */
  affordableReplicas: number;
  /** True when the ceiling, not the load, set the count. */
  limited: boolean;
}

/** Cost per hour of `alloc` (replicas per target). */
export function costOf(params: readonly CostParam[], alloc: Readonly<Record<string, number>>): number {
  return params.reduce((a, p) => a + p.cost * (alloc[p.target] ?? 0), 0);
}

/** Cost per hour of every target at its minReplicas: the least the binding can cost. */
export function minimumCost(params: readonly CostParam[]): number {
  return params.reduce((a, p) => a + p.cost * p.minReplicas, 0);
}

/**
 * The most replicas whose cost stays within `maxCostPerHour`: each minimum first, then one by
 * one from the cheapest target with room (free targets fill to their max). Null when even the
 * minimums cost more.
 */
export function cheapestFill(params: readonly CostParam[], maxCostPerHour: number, upTo = Number.POSITIVE_INFINITY): Record<string, number> | null {
  const alloc: Record<string, number> = {};
  for (const p of params) alloc[p.target] = p.minReplicas;
  let cost = minimumCost(params);
  if (cost > maxCostPerHour) return null;
  let total = params.reduce((a, p) => a + p.minReplicas, 0);
  const byPrice = [...params].sort((a, b) => a.cost - b.cost || a.target.localeCompare(b.target));
  for (const p of byPrice) {
    const room = p.maxReplicas - alloc[p.target];
    const affordable = p.cost === 0 ? room : Math.floor((maxCostPerHour - cost) / p.cost + 1e-9);
    const add = Math.max(0, Math.min(room, affordable, upTo - total));
    alloc[p.target] += add;
    cost += add * p.cost;
    total += add;
  }
  return alloc;
}

/** Most replicas the ceiling pays for, within the targets' bounds (null: the minimums cost more). */
export function affordableReplicas(params: readonly CostParam[], maxCostPerHour: number): number | null {
  const alloc = cheapestFill(params, maxCostPerHour);
  return alloc === null ? null : Object.values(alloc).reduce((a, b) => a + b, 0);
}

/**
 * `alloc` itself when it costs at most `maxCostPerHour`, else the same number of replicas
 * bought cheapest first (always possible when the count is at most affordableReplicas).
 */
export function fitToBudget(params: readonly CostParam[], alloc: Readonly<Record<string, number>>, maxCostPerHour: number): Record<string, number> {
  if (costOf(params, alloc) <= maxCostPerHour + 1e-9) return { ...alloc };
  const total = Object.values(alloc).reduce((a, b) => a + b, 0);
  return cheapestFill(params, maxCostPerHour, total) ?? { ...alloc };
}
