// The control-plane HTTP API: apply / get / list / delete resources with the same validation as
// `mi apply`, plus health, readiness and Prometheus metrics. Thin: every decision is in the
// ResourceService; this file maps HTTP to it and typed errors to status codes.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'winston';
import { parseTraceparent } from '@matrixinfer/events';
import { InvalidResourcesError, errorCode } from './errors.js';
import { createApiMetrics, type ApiMetrics } from './metrics.js';
import type { ResourceService } from './service.js';

/** HTTP status for an error code (anything unknown is a 500). */
export function httpStatusFor(code: string | undefined): number {
  switch (code) {
    case 'MI_ERR_INVALID':
    case 'MI_ERR_INVALID_RESOURCE':
      return 422;
    case 'MI_ERR_BAD_ARGUMENT':
      return 400;
    case 'MI_ERR_UNKNOWN_KIND':
    case 'MI_ERR_NOT_FOUND':
      return 404;
    case 'MI_ERR_CONFLICT':
      return 409;
    case 'MI_ERR_KUBERNETES_MODE':
      return 403;
    case 'MI_ERR_NATS_UNAVAILABLE':
      return 503;
    default:
      return 500;
  }
}

export interface ApiAppOptions {
  service: ResourceService;
  logger: Logger;
  metrics?: ApiMetrics;
  /** Largest accepted apply body; default 2 MiB. */
  bodyLimit?: string;
}

type Handler = (req: Request, res: Response) => Promise<void> | void;

/** The request's W3C traceparent when it is a valid one (an invalid one is not carried on). */
function traceparentOf(req: Request): string | undefined {
  const v = req.headers.traceparent;
  return parseTraceparent(v) !== null ? (v as string).trim() : undefined;
}

function namespaceOf(req: Request): string | undefined {
  const ns = req.query.namespace;
  return typeof ns === 'string' && ns !== '' ? ns : undefined;
}

/** Builds the express app (no listening); exported for tests and for embedding. */
export function createApiApp(opts: ApiAppOptions): express.Express {
  const { service, logger } = opts;
  const metrics = opts.metrics ?? createApiMetrics();
  const app = express();
  app.disable('x-powered-by');

  // Route pattern (not the URL) as the label: bounded cardinality.
  const route = (pattern: string, h: Handler) => async (req: Request, res: Response, next: NextFunction) => {
    const end = metrics.duration.startTimer({ method: req.method, route: pattern });
    res.once('finish', () => {
      end();
      metrics.requests.inc({ method: req.method, route: pattern, code: String(res.statusCode) });
    });
    try {
      await h(req, res);
    } catch (err) {
      next(err);
    }
  };

  app.get('/healthz', route('/healthz', (_req, res) => void res.json({ status: 'ok' })));
  app.get(
    '/readyz',
    route('/readyz', (_req, res) => {
      const ready = service.ready();
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready: NATS is not connected' });
    }),
  );
  app.get(
    '/metrics',
    route('/metrics', async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    }),
  );

  const body = express.text({ type: () => true, limit: opts.bodyLimit ?? '2mb' });
  app.post(
    '/apis/v1/apply',
    body,
    route('/apis/v1/apply', async (req, res) => {
      const text = typeof req.body === 'string' ? req.body : '';
      const dryRun = req.query.dryRun === 'true' || req.query.dryRun === '1';
      const docs = service.validate([{ text, source: 'request' }], { namespace: namespaceOf(req) });
      if (dryRun) {
        await service.checkUpdates(docs);
        res.json({ dryRun: true, results: docs.map((d) => ({ ...service.identify(d.resource), result: 'valid' })) });
        return;
      }
      const outcomes = await service.apply(docs, { traceparent: traceparentOf(req) });
      for (const o of outcomes) metrics.applied.inc({ kind: o.kind, result: o.result });
      res.json({ results: outcomes });
    }),
  );
  app.get(
    '/apis/v1/:kind',
    route('/apis/v1/:kind', async (req, res) => {
      const items = await service.list(String(req.params.kind), namespaceOf(req));
      res.json({ items });
    }),
  );
  app.get(
    '/apis/v1/:kind/:name',
    route('/apis/v1/:kind/:name', async (req, res) => {
      res.json(await service.get(String(req.params.kind), namespaceOf(req), String(req.params.name)));
    }),
  );
  app.delete(
    '/apis/v1/:kind/:name',
    route('/apis/v1/:kind/:name', async (req, res) => {
      res.json(await service.delete(String(req.params.kind), namespaceOf(req), String(req.params.name), { traceparent: traceparentOf(req) }));
    }),
  );
  app.use(
    route('*', (req, res) => {
      res.status(404).json({ error: { code: 'MI_ERR_NOT_FOUND', message: `no route ${req.method} ${req.path}` } });
    }),
  );

  // Typed errors → status codes; the body always has { error: { code, message } }.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const bodyError = err as { type?: string; status?: number };
    if (bodyError?.type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'MI_ERR_TOO_LARGE', message: 'request body too large' } });
      return;
    }
    const code = errorCode(err);
    const status = httpStatusFor(code);
    const message = err instanceof Error ? err.message : String(err);
    if (status >= 500) logger.error('API request failed', { method: req.method, path: req.path, error: message, code });
    else logger.debug('API request rejected', { method: req.method, path: req.path, error: message, code });
    const payload: Record<string, unknown> = { code: code ?? 'MI_ERR_INTERNAL', message };
    if (err instanceof InvalidResourcesError) payload.problems = err.problems;
    res.status(status).json({ error: payload });
  });
  return app;
}

export interface ApiServer {
  /** The port it listens on (useful with port 0). */
  port: number;
  url: string;
  metrics: ApiMetrics;
  close(): Promise<void>;
}

/** Starts the API on host:port (port 0 picks a free one). */
export async function startApiServer(opts: ApiAppOptions & { port: number; host?: string }): Promise<ApiServer> {
  const metrics = opts.metrics ?? createApiMetrics({ processMetrics: true });
  const app = createApiApp({ ...opts, metrics });
  const host = opts.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(opts.port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host}:${port}`,
    metrics,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
