// What `mi get` shows per kind: the status columns a person checks first. Pure: a resource in,
// cells out.
import type { StoredResource } from '@matrixinfer/events';
import { formatAge } from './table.js';

interface Condition {
  type: string;
  status: string;
  reason?: string;
}

type Status = Record<string, unknown> & { conditions?: Condition[] };

function statusOf(r: StoredResource): Status {
  return (r.status && typeof r.status === 'object' ? r.status : {}) as Status;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

// Conditions a person should see first, most telling first.
const CONDITION_ORDER = ['Failed', 'Active', 'Available', 'Ready', 'Progressing', 'Initialized'];

/** The one-word state of a resource from its conditions (`Active`, `Failed`, ...), `-` when none. */
export function conditionSummary(conditions: Condition[] | undefined): string {
  const trues = (conditions ?? []).filter((c) => c.status === 'True');
  if (trues.length === 0) {
    const pending = (conditions ?? []).find((c) => c.status === 'False' && c.reason);
    return pending?.reason ?? (conditions && conditions.length > 0 ? 'Pending' : '-');
  }
  trues.sort((a, b) => rank(a.type) - rank(b.type));
  return trues[0].type;
}

function rank(type: string): number {
  const i = CONDITION_ORDER.indexOf(type);
  return i < 0 ? CONDITION_ORDER.length : i;
}

function ratio(ready: number | undefined, total: number | undefined): string {
  if (ready === undefined && total === undefined) return '-';
  return `${ready ?? 0}/${total ?? 0}`;
}

interface KindColumns {
  headers: string[];
  cells(r: StoredResource): string[];
}

const BY_KIND: Record<string, KindColumns> = {
  Model: {
    headers: ['READY', 'STATUS'],
    cells(r) {
      const s = statusOf(r);
      const backends = (s.backendStatuses as { replicas?: number; readyReplicas?: number }[] | undefined) ?? [];
      const total = backends.length ? backends.reduce((a, b) => a + (b.replicas ?? 0), 0) : undefined;
      const ready = backends.length ? backends.reduce((a, b) => a + (b.readyReplicas ?? 0), 0) : undefined;
      return [ratio(ready, total), conditionSummary(s.conditions)];
    },
  },
  ModelInfer: {
    headers: ['READY', 'UPDATED', 'STATUS'],
    cells(r) {
      const s = statusOf(r);
      const spec = (r.spec ?? {}) as { replicas?: number };
      const want = num(spec.replicas) ?? num(s.replicas);
      return [ratio(num(s.availableReplicas), want), String(num(s.updatedReplicas) ?? '-'), conditionSummary(s.conditions)];
    },
  },
  ModelServer: {
    headers: ['ENGINE', 'READY', 'STATUS'],
    cells(r) {
      const s = statusOf(r);
      const spec = (r.spec ?? {}) as { inferenceEngine?: string };
      const ready = num(s.readyEndpoints);
      const total = num(s.endpoints);
      return [spec.inferenceEngine ?? '-', total === undefined ? String(ready ?? '-') : ratio(ready, total), conditionSummary(s.conditions)];
    },
  },
  ModelRoute: {
    headers: ['MODEL', 'STATUS'],
    cells(r) {
      const spec = (r.spec ?? {}) as { modelName?: string };
      return [spec.modelName ?? '-', conditionSummary(statusOf(r).conditions)];
    },
  },
  AutoscalingPolicyBinding: {
    headers: ['CURRENT', 'DESIRED', 'PANIC', 'STATUS'],
    cells(r) {
      const s = statusOf(r);
      return [String(num(s.currentReplicas) ?? '-'), String(num(s.desiredReplicas) ?? '-'), s.panicMode === true ? 'yes' : 'no', conditionSummary(s.conditions)];
    },
  },
};

const DEFAULT_COLUMNS: KindColumns = { headers: ['STATUS'], cells: (r) => [conditionSummary(statusOf(r).conditions)] };

/** Headers and rows of `mi get` for resources of one kind. */
export function resourceTable(kind: string, items: StoredResource[], nowMs: number, withNamespace: boolean): { headers: string[]; rows: string[][] } {
  const cols = BY_KIND[kind] ?? DEFAULT_COLUMNS;
  const headers = [...(withNamespace ? ['NAMESPACE'] : []), 'NAME', ...cols.headers, 'AGE'];
  const rows = items.map((r) => {
    const created = Date.parse(r.metadata.creationTimestamp);
    return [
      ...(withNamespace ? [r.metadata.namespace] : []),
      r.metadata.name,
      ...cols.cells(r),
      Number.isNaN(created) ? '-' : formatAge(created, nowMs),
    ];
  });
  return { headers, rows };
}
