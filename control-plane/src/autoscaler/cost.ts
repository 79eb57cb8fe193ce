// Spreads the replicas a target needs over heterogeneous backends by cost (the binding's
// optimizerConfiguration): fill every backend's minimum, keep what already runs, then buy the
// cheapest chunks, where a backend's chunks grow by the cost expansion rate (1, r, r², …) so
// that a cheap backend is not grown without bound before a dearer one gets a turn.

export interface CostParam {
  /** Backend / scale target name. */
  target: string;
  /** Cost of one replica (any unit, only ratios matter). */
  cost: number;
  minReplicas: number;
  maxReplicas: number;
  /** A workload other than a ModelInfer, scaled through its scale subresource (Kubernetes mode). */
  ref?: { apiVersion: string; kind: string };
}

export interface CostSplit {
  replicas: Record<string, number>;
  /** The split in words, for the decision event. */
  reason: string;
}

/** Chunks of one backend: `size` replicas bought at the price of its `nominal` size (the last one may be cut by max). */
function chunkSizes(rate: number, max: number): { size: number; nominal: number }[] {
  const sizes: { size: number; nominal: number }[] = [];
  let total = 0;
  let size = 1;
  while (total < max) {
    const nominal = Math.max(1, Math.round(size));
    const s = Math.min(nominal, max - total);
    sizes.push({ size: s, nominal });
    total += s;
    size = rate <= 1 ? 1 : size * rate;
  }
  return sizes;
}

/**
 * Allocates `needed` replicas over `params`. `current` is what runs now per target; it is kept
 * when scaling up and shed dearest-first when scaling down. Bounds always hold.
 */
export function splitByCost(params: readonly CostParam[], needed: number, costExpansionRatePercent: number, current: Readonly<Record<string, number>> = {}): CostSplit {
  const rate = costExpansionRatePercent / 100;
  const alloc: Record<string, number> = {};
  for (const p of params) alloc[p.target] = Math.min(p.maxReplicas, Math.max(p.minReplicas, current[p.target] ?? 0));
  const sum = () => Object.values(alloc).reduce((a, b) => a + b, 0);
  const minTotal = params.reduce((a, p) => a + p.minReplicas, 0);
  const maxTotal = params.reduce((a, p) => a + p.maxReplicas, 0);
  const goal = Math.min(maxTotal, Math.max(minTotal, needed));
  const steps: string[] = [];

  if (sum() > goal) {
    // Shed from the dearest backends first, down to their minimums.
    const dearest = [...params].sort((a, b) => b.cost - a.cost || a.target.localeCompare(b.target));
    for (const p of dearest) {
      const shed = Math.min(sum() - goal, alloc[p.target] - p.minReplicas);
      if (shed > 0) {
        alloc[p.target] -= shed;
        steps.push(`-${shed} ${p.target} (cost ${p.cost})`);
      }
    }
  } else if (sum() < goal) {
    // Chunks priced by cost × size; a backend's chunks already "used" by what it runs are skipped.
    const chunks: { target: string; size: number; price: number; order: number }[] = [];
    params.forEach((p, order) => {
      let covered = alloc[p.target];
      for (const { size, nominal } of chunkSizes(rate, p.maxReplicas)) {
        if (covered >= size) {
          covered -= size;
          continue;
        }
        chunks.push({ target: p.target, size: size - covered, price: p.cost * nominal, order });
        covered = 0;
      }
    });
    chunks.sort((a, b) => a.price - b.price || a.order - b.order);
    for (const c of chunks) {
      const room = goal - sum();
      if (room <= 0) break;
      const add = Math.min(c.size, room);
      alloc[c.target] += add;
      steps.push(`+${add} ${c.target} (chunk price ${c.price})`);
    }
  }
  const parts = params.map((p) => `${p.target}=${alloc[p.target]}`).join(', ');
  const why = needed !== goal ? ` (needed ${needed}, bounded to ${goal})` : '';
  return {
    replicas: alloc,
    reason: `${goal} replicas by cost${why}: ${parts}${steps.length ? `; ${steps.join(', ')}` : '; unchanged'}`,
  };
}
