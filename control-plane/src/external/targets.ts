// What the external-metrics poller evaluates, from the desired resources: every
// AutoscalingPolicyBinding whose policy (same namespace) has metrics with a PromQL `query`.
// Pure: the runner rebuilds it from its resource map each tick. Bindings or policies the
// autoscaler cannot use are still polled when they name queries; the autoscaler reports them.
import type { StoredResource } from '@matrixinfer/events';
import type { AutoscalingPolicy, AutoscalingPolicyBinding } from '@matrixinfer/schemas';

/** One query of a policy: the metric's label (metricName) and the PromQL text, both trimmed. */
export interface PollQuery {
  metricName: string;
  query: string;
}

/** One binding to poll: one sample per tick on mi.metrics.external.<namespace>.<binding>. */
export interface PollTarget {
  namespace: string;
  binding: string;
  policy: string;
  queries: PollQuery[];
}

function ns(r: { metadata: { namespace?: string } }): string {
  return r.metadata.namespace ?? 'default';
}

/** The policy's metrics that have a (non-blank) query, in policy order. */
export function queriesOf(policy: AutoscalingPolicy): PollQuery[] {
  const out: PollQuery[] = [];
  for (const m of policy.spec.metrics ?? []) {
    const query = m.query?.trim();
    if (query) out.push({ metricName: m.metricName.trim(), query });
  }
  return out;
}

/** Every binding with queries, sorted by namespace and name. */
export function pollTargets(resources: Iterable<StoredResource>): PollTarget[] {
  const policies = new Map<string, AutoscalingPolicy>();
  const bindings: AutoscalingPolicyBinding[] = [];
  for (const r of resources) {
    if (r.kind === 'AutoscalingPolicy') policies.set(`${ns(r)}/${r.metadata.name}`, r as unknown as AutoscalingPolicy);
    else if (r.kind === 'AutoscalingPolicyBinding') bindings.push(r as unknown as AutoscalingPolicyBinding);
  }
  const out: PollTarget[] = [];
  for (const b of bindings) {
    const namespace = ns(b);
    const policy = policies.get(`${namespace}/${b.spec.policyRef.name}`);
    const queries = policy ? queriesOf(policy) : [];
    if (queries.length > 0) out.push({ namespace, binding: b.metadata.name, policy: b.spec.policyRef.name, queries });
  }
  return out.sort((a, b) => `${a.namespace}/${a.binding}`.localeCompare(`${b.namespace}/${b.binding}`));
}

/** The distinct query texts of all targets (a query shared by several bindings is evaluated once per tick). */
export function distinctQueries(targets: readonly PollTarget[]): string[] {
  return [...new Set(targets.flatMap((t) => t.queries.map((q) => q.query)))];
}
