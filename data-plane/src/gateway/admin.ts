// The gateway's non-proxy endpoints: model list, health, readiness, metrics, debug views.
import type { ServerResponse } from 'node:http';
import type { RouteTable } from './route-table.js';
import type { LoadBook } from './load.js';
import type { OutlierBook } from './outliers.js';

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** OpenAI model list of every routable model name and LoRA adapter in the table (only those `allows` passes, when given: a key's scope). */
export function modelList(table: RouteTable, allows?: (model: string) => boolean): { object: 'list'; data: Array<Record<string, unknown>> } {
  const baseOfRoute = new Map<string, string>();
  for (const { entry } of table.entries.values()) {
    if (entry.kind === 'model') baseOfRoute.set(`${entry.namespace}/${entry.route}`, entry.name);
  }
  const data: Array<Record<string, unknown>> = [];
  const keys = [...table.entries.keys()].sort();
  for (const key of keys) {
    if (allows !== undefined && !allows(key)) continue;
    const { entry } = table.entries.get(key)!;
    const parent = entry.kind === 'lora' ? (baseOfRoute.get(`${entry.namespace}/${entry.route}`) ?? null) : null;
    data.push({ id: key, object: 'model', created: 0, owned_by: 'matrixinfer', root: key, parent });
  }
  return { object: 'list', data };
}

/** /debug/routes: the table this replica holds, with the revision of each entry. */
export function debugRoutes(table: RouteTable): unknown {
  const entries: Record<string, unknown> = {};
  for (const [key, held] of table.entries) entries[key] = { revision: held.revision, entry: held.entry };
  return { revision: table.revision, entries };
}

/** /debug/endpoints: every endpoint of the table with the load this replica sees. */
export function debugEndpoints(table: RouteTable, load: LoadBook, outliers: OutlierBook, nowMs: number): unknown {
  const seen = load.debug(nowMs);
  const outlier = outliers.debug(nowMs);
  const endpoints: Record<string, unknown> = {};
  for (const { entry } of table.entries.values()) {
    for (const server of Object.values(entry.servers)) {
      for (const ep of server.endpoints) {
        endpoints[ep.id] = { address: ep.address, modelServer: server.name, namespace: server.namespace, role: ep.role, ...(seen[ep.id] ?? { inFlight: 0, peerInFlight: 0 }), ...(outlier[ep.id] ? { outlier: outlier[ep.id] } : {}) };
      }
    }
  }
  // Endpoints with load but no longer in the table (draining) are shown too.
  for (const [id, v] of Object.entries(seen)) if (!(id in endpoints)) endpoints[id] = { ...v, inTable: false };
  return { endpoints };
}
