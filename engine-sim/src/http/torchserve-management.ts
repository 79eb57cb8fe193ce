// TorchServe's management API over HTTP (register, scale, unregister, list, describe) on top
// of the registry. Served on the inference port by default, or alone on --management-port the
// way TorchServe listens on management_address (8081).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { sendError, sendJson } from './io.js';

const MODEL = /^\/models\/([^/]+)(?:\/([^/]+))?$/;

/** Serves one management API call; false when `path` is not one. */
export function routeManagement(path: string, query: string, method: string, req: IncomingMessage, res: ServerResponse, ctx: SimContext): boolean {
  const q = new URLSearchParams(query);
  const reg = ctx.registry;
  const answer = (a: { status: number; body: unknown }): true => {
    req.resume();
    sendJson(res, a.status, a.body);
    return true;
  };
  if (path === '/models') {
    if (method === 'GET') return answer(reg.list(q));
    if (method === 'POST') return answer(reg.register(q));
    return false;
  }
  const m = MODEL.exec(path);
  if (!m) return false;
  const name = decodeURIComponent(m[1]);
  const version = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
  if (method === 'GET') return answer(reg.describe(name, version));
  if (version === 'all') return false;
  if (method === 'PUT') return answer(reg.scale(name, version, q));
  if (method === 'DELETE') return answer(reg.unregister(name, version));
  return false;
}

/** The request handler of a management-only listener (--management-port). */
export function createManagementRouter(ctx: SimContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = req.url ?? '/';
    const cut = url.indexOf('?');
    const path = cut >= 0 ? url.slice(0, cut) : url;
    const method = req.method ?? 'GET';
    if (!routeManagement(path, cut >= 0 ? url.slice(cut + 1) : '', method, req, res, ctx)) {
      req.resume();
      sendError(res, 'torchserve', { status: 404, message: `Requested resource is not found, please refer to API document.` });
    }
  };
}
