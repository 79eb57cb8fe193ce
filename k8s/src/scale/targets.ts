// Pure core of the scale observer: which workloads the bindings scale that are not ModelInfers
// (their count is read from their scale subresource), and whether a reading is news.
import type { ScaleObservation, ScaleTargetRef } from '@matrixinfer/events';

/** A bound workload that is not a ModelInfer. */
export type BoundScaleTarget = ScaleTargetRef & { namespace: string };

type Ref = { kind?: unknown; apiVersion?: unknown; name?: unknown };
type BindingLike = { metadata?: { namespace?: string }; spec?: { scalingConfiguration?: { target?: { targetRef?: Ref } }; optimizerConfiguration?: { params?: { target?: { targetRef?: Ref } }[] } } };

/** The distinct non-ModelInfer targets of `bindings` (kind and apiVersion given), sorted. */
export function scaleTargetsOf(bindings: readonly unknown[]): BoundScaleTarget[] {
  const out = new Map<string, BoundScaleTarget>();
  for (const raw of bindings) {
    const b = raw as BindingLike;
    const namespace = b.metadata?.namespace ?? 'default';
    const refs = [b.spec?.scalingConfiguration?.target?.targetRef, ...(b.spec?.optimizerConfiguration?.params ?? []).map((p) => p.target?.targetRef)];
    for (const r of refs) {
      if (!r || typeof r.name !== 'string' || typeof r.kind !== 'string' || r.kind === 'ModelInfer' || typeof r.apiVersion !== 'string') continue;
      out.set(`${namespace}/${r.kind}/${r.name}`, { namespace, apiVersion: r.apiVersion, kind: r.kind, name: r.name });
    }
  }
  return [...out.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, t]) => t);
}

/** True when `next` says something `prev` did not (the read time alone is not news). */
export function isNews(prev: ScaleObservation | undefined, next: ScaleObservation): boolean {
  if (!prev) return true;
  const strip = ({ timeMs: _t, ...rest }: ScaleObservation) => JSON.stringify(rest);
  return strip(prev) !== strip(next);
}
