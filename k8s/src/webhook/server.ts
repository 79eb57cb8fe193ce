// The admission webhooks over HTTPS (express): POST /validate and /mutate take AdmissionReview
// v1 bodies, GET /healthz answers probes, GET /metrics counts admissions by kind, operation and
// result with a latency histogram. A body that is not a review gets a 400, never a crash.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Counter, Histogram, Registry } from 'prom-client';
import type { Logger } from 'winston';
import type { ServingCert } from './certs.js';
import { answerReview, type CrossCheck, type WebhookKind } from './review.js';

export interface WebhookServerOptions {
  cert: ServingCert;
  port: number;
  host?: string;
  logger: Logger;
  /** Largest review accepted (default 3 MiB, kube-apiserver's own request limit). */
  bodyLimit?: string;
  /** Checks across resources (validating webhook), e.g. over the cluster cache of cache.ts. */
  cross?: CrossCheck;
}

/** A running webhook server. */
export interface WebhookServer {
  url: string;
  port: number;
  /** Replaces the serving certificate (rotation) without dropping connections. */
  setCert(cert: ServingCert): void;
  close(): Promise<void>;
}

/** Starts the HTTPS server. */
export async function startWebhookServer(o: WebhookServerOptions): Promise<WebhookServer> {
  const log = o.logger.child({ component: 'webhook' });
  const registry = new Registry();
  const admissions = new Counter({ name: 'mi_webhook_admissions_total', help: 'Admission reviews answered, by webhook, kind, operation and result', labelNames: ['webhook', 'kind', 'operation', 'result'], registers: [registry] });
  const latency = new Histogram({ name: 'mi_webhook_admission_seconds', help: 'Time to answer one admission review', labelNames: ['webhook'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1], registers: [registry] });
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: o.bodyLimit ?? '3mb', type: () => true, strict: true }));
  const review = (which: WebhookKind) => (req: Request, res: Response) => {
    const end = latency.startTimer({ webhook: which });
    const a = answerReview(which, req.body, o.cross);
    if (a.status === 400) {
      admissions.inc({ webhook: which, kind: '', operation: '', result: 'bad-request' });
      res.status(400).json({ error: a.message });
    } else {
      const r = (req.body as { request: { kind: { kind: string }; operation: string } }).request;
      const result = a.body.response.allowed ? (a.body.response.patch ? 'patched' : 'allowed') : 'denied';
      admissions.inc({ webhook: which, kind: r.kind.kind, operation: r.operation, result });
      if (result === 'denied') log.info('admission denied', { uid: a.body.response.uid, kind: r.kind.kind, operation: r.operation, message: a.body.response.status?.message });
      res.json(a.body);
    }
    end();
  };
  app.post('/validate', review('validate'));
  app.post('/mutate', review('mutate'));
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  // Unparsable JSON, too large, wrong encoding: a 400 with the reason, and the server goes on.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    admissions.inc({ webhook: '', kind: '', operation: '', result: 'bad-request' });
    res.status(err.status && err.status >= 400 && err.status < 500 ? err.status : 400).json({ error: `bad request: ${err.type ?? err.message}` });
  });
  let cert = o.cert;
  const server: Server = createServer({ cert: cert.cert, key: cert.key }, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://${o.host && o.host !== '0.0.0.0' ? o.host : '127.0.0.1'}:${port}`,
    port,
    setCert(next) {
      cert = next;
      server.setSecureContext({ cert: cert.cert, key: cert.key });
    },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
