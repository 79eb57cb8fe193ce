// Kubernetes mode seen from `mi` and the HTTP API: once a controller set the mode key, every
// write is refused with an error naming kubectl and nothing is written; reads keep working.
import { expect } from 'chai';
import winston from 'winston';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { ensureBuckets, ensureStreams } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { createNatsResourceService } from '../../api/nats-backend.js';
import { setKubernetesMode } from '../../api/mode.js';
import { startApiServer, type ApiServer } from '../../api/server.js';
import { runMi } from '../mi.js';
import { captureIO } from '../testing.js';
import { EXIT } from '../exit.js';

const MODEL = (name: string) => `apiVersion: registry.matrixinfer.ai/v1alpha1
kind: Model
metadata: { name: ${name} }
spec:
  backends: [{ name: sim, type: vLLM, modelURI: hf://org/m, minReplicas: 1, maxReplicas: 1, workers: [{ type: server }] }]
`;
const SECRET = 'apiVersion: v1\nkind: Secret\nmetadata: { name: s }\nstringData: { A: b }\n---\n';
const logger = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });

describe('Kubernetes mode refuses writes from mi and the API (real nats-server)', function () {
  this.timeout(30_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let api: ApiServer | undefined;
  const mi = async (args: string[], stdinText?: string) => {
    const c = captureIO({ stdinText });
    const code = await runMi(['--nats-url', server.url, ...args], c.io);
    return { code, out: c.out.join('\n'), err: c.err.join('\n') };
  };
  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    await ensureStreams(await jetstreamManager(nc));
    await ensureBuckets(jetstream(nc), await jetstreamManager(nc));
  });
  after(async () => {
    await api?.close();
    await nc?.close();
    await server?.close();
  });

  it('before the mode is set mi apply writes; after, mi apply/delete and POST/DELETE are refused naming kubectl, and nothing is written', async () => {
    expect((await mi(['apply', '-f', '-'], MODEL('before'))).code).to.equal(EXIT.ok);
    await setKubernetesMode(nc, 'mi-controller-0', () => Date.parse('2026-12-07T00:00:00Z'));

    const refused = await mi(['apply', '-f', '-'], SECRET + MODEL('after'));
    expect(refused.code).to.equal(EXIT.conflict);
    expect(refused.err).to.match(/mi apply refused: this control plane runs in Kubernetes mode \(set by mi-controller-0 at 2026-12-07T00:00:00.000Z\).*kubectl apply -f/);
    expect(refused.out).to.equal('');
    // Nothing written: not the Secret (first in the file), not the Model.
    expect((await (await jetstreamManager(nc)).streams.info('KV_mi-secrets').catch(() => null))?.state.messages ?? 0).to.equal(0);
    expect((await mi(['get', 'model', 'after'])).code).to.equal(EXIT.notFound);

    const del = await mi(['delete', 'model', 'before']);
    expect(del.code).to.equal(EXIT.conflict);
    expect(del.err).to.match(/delete refused: .*Kubernetes mode/);
    // Reads keep working.
    const get = await mi(['get', 'models']);
    expect(get.code).to.equal(EXIT.ok);
    expect(get.out).to.match(/^before\b/m);

    api = await startApiServer({ port: 0, service: await createNatsResourceService(nc, 'test'), logger });
    const post = await fetch(`${api.url}/apis/v1/apply`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: MODEL('viaapi') });
    expect(post.status).to.equal(403);
    expect(((await post.json()) as { error: { code: string } }).error.code).to.equal('MI_ERR_KUBERNETES_MODE');
    expect((await fetch(`${api.url}/apis/v1/models/before`)).status).to.equal(200);
  });
});
