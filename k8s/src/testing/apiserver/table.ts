// Server-side printing (meta.k8s.io/v1 Table), pure: what `kubectl get` shows. Custom
// resources use their additionalPrinterColumns (JSONPath cells), Pods and Services the
// columns of the real server's printers, everything else Name and Age.
import { JSONPath } from 'jsonpath-plus';
import type { KObject, PrinterColumn, ResourceType } from './types.js';

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const col = (name: string, type = 'string', priority = 0, format = ''): Column => ({ name, type, format, description: name, priority });
const NAME: Column = { ...col('Name', 'string', 0, 'name'), description: 'Name must be unique within a namespace.' };
const AGE = col('Age', 'date');

/** Kubernetes' short human duration (apimachinery HumanDuration), as Age columns print it. */
export function humanDuration(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec < -1) return '<invalid>';
  if (sec < 0) return '0s';
  if (sec < 120) return `${sec}s`;
  const min = Math.floor(sec / 60);
  const pair = (a: number, ua: string, b: number, ub: string) => (b === 0 ? `${a}${ua}` : `${a}${ua}${b}${ub}`);
  if (min < 10) return pair(min, 'm', sec % 60, 's');
  if (min < 180) return `${min}m`;
  const h = Math.floor(min / 60);
  if (h < 8) return pair(h, 'h', min % 60, 'm');
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return pair(Math.floor(h / 24), 'd', h % 24, 'h');
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  if (h < 24 * 365 * 8) return pair(Math.floor(h / 24 / 365), 'y', Math.floor(h / 24) % 365, 'd');
  return `${Math.floor(h / 24 / 365)}y`;
}

/** One printer-column cell from a JSONPath (`.status.conditions[?(@.type=="Ready")].status`). */
export function cellOf(obj: KObject, jsonPath: string): unknown {
  let values: unknown[];
  try {
    values = JSONPath({ path: `$${jsonPath}`, json: obj, wrap: true }) as unknown[];
  } catch {
    return null;
  }
  if (values.length === 0) return null;
  const fmt = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : v);
  return values.length === 1 ? fmt(values[0]) : values.map((v) => String(fmt(v))).join(',');
}

interface PodStatusLike {
  phase?: string;
  reason?: string;
  podIP?: string;
  containerStatuses?: { ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } }[];
}

function podCells(o: KObject): unknown[] {
  const spec = (o.spec ?? {}) as { containers?: unknown[]; nodeName?: string };
  const st = (o.status ?? {}) as PodStatusLike;
  const cs = st.containerStatuses ?? [];
  const ready = cs.filter((c) => c.ready).length;
  let reason = st.reason ?? st.phase ?? 'Unknown';
  for (const c of cs) reason = c.state?.waiting?.reason ?? c.state?.terminated?.reason ?? reason;
  if (o.metadata?.deletionTimestamp) reason = 'Terminating';
  const restarts = cs.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  return [`${ready}/${(spec.containers ?? []).length}`, reason, restarts, o.metadata?.creationTimestamp, st.podIP ?? '<none>', spec.nodeName ?? '<none>'];
}

function serviceCells(o: KObject): unknown[] {
  const spec = (o.spec ?? {}) as { type?: string; clusterIP?: string; ports?: { port: number; protocol?: string }[] };
  const ports = (spec.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(',') || '<none>';
  return [spec.type ?? 'ClusterIP', spec.clusterIP ?? '<none>', '<none>', ports, o.metadata?.creationTimestamp];
}

function columnsOf(rt: ResourceType, age: (t: unknown) => unknown): { defs: Column[]; cells: (o: KObject) => unknown[] } {
  if (rt.builtin && rt.kind === 'Pod') return { defs: [NAME, col('Ready'), col('Status'), col('Restarts', 'string'), AGE, col('IP', 'string', 1), col('Node', 'string', 1)], cells: (o) => [o.metadata?.name, ...podCells(o).map((c, i) => (i === 3 ? age(c) : c))] };
  if (rt.builtin && rt.kind === 'Service') return { defs: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE], cells: (o) => [o.metadata?.name, ...serviceCells(o).map((c, i) => (i === 4 ? age(c) : c))] };
  if (!rt.builtin && rt.printerColumns.length > 0) {
    const pcs: PrinterColumn[] = rt.printerColumns;
    return { defs: [NAME, ...pcs.map((p) => ({ name: p.name, type: p.type, format: p.format ?? '', description: p.description ?? '', priority: p.priority ?? 0 }))], cells: (o) => [o.metadata?.name, ...pcs.map((p) => (p.type === 'date' ? age(cellOf(o, p.jsonPath)) : cellOf(o, p.jsonPath)))] };
  }
  return { defs: [NAME, AGE], cells: (o) => [o.metadata?.name, age(o.metadata?.creationTimestamp)] };
}

/** How much of each object a Table row carries (`includeObject`). */
export type IncludeObject = 'None' | 'Object' | 'PartialObjectMetadata';

function rowObject(o: KObject, include: IncludeObject): object | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/** The Table for a list (or one object) of a resource type. */
export function toTable(rt: ResourceType, items: KObject[], meta: { resourceVersion?: string; continue?: string }, include: IncludeObject, nowMs: number): object {
  // Dates print as ages computed by the server, as the real printers and CRD convertor do.
  const age = (t: unknown) => (typeof t === 'string' && !Number.isNaN(Date.parse(t)) ? humanDuration(nowMs - Date.parse(t)) : '<unknown>');
  const { defs, cells } = columnsOf(rt, age);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: defs,
    rows: items.map((o) => ({ cells: cells(o), object: rowObject(o, include) })),
  };
}

/** Whether an Accept header asks for a Table (kubectl get does; -o yaml does not). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => /as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}
