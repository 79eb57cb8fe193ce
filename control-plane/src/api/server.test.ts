// The control-plane HTTP API against a real nats-server, on listen(0), with raw fetch.
import { expect } from 'chai';
import winston from 'winston';
import { STREAMS, connectNats, decodeEvent } from '@matrixinfer/events';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { createNatsResourceService } from './nats-backend.js';
import { startApiServer, type ApiServer } from './server.js';
import { MAX_RESOURCE_BYTES } from './service.js';

const model = (name: string, maxReplicas: number, rv?: string) => `apiVersion: registry.matrixinfer.ai/v1alpha1
kind: Model
metadata:
  name: ${name}
${rv ? `  resourceVersion: "${rv}"\n` : ''}spec:
  backends:
    - name: sim
      type: vLLM
      modelURI: hf://org/m
      maxReplicas: ${maxReplicas}
      workers: [{ type: server }]
`;

describe('control-plane API (real nats-server)', function () {
  this.timeout(20_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let api: ApiServer;
  const logger = winston.createLogger({ silent: true });

  const call = async (method: string, path: string, body?: string, type = 'application/yaml') => {
    const res = await fetch(`${api.url}${path}`, { method, body, headers: body === undefined ? {} : { 'content-type': type } });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) };
  };

  before(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url, name: 'api-test' });
    const service = await createNatsResourceService(nc, 'api-test', { ensure: true });
    api = await startApiServer({ port: 0, service, logger });
  });
  after(async () => {
    await api?.close();
    await nc?.close();
    await server?.close();
  });

  it('applies YAML: created, then unchanged; JSON bodies work too', async () => {
    const first = await call('POST', '/apis/v1/apply', model('llama', 2));
    expect(first.status).to.equal(200);
    expect(first.json().results).to.deep.equal([{ kind: 'Model', namespace: 'default', name: 'llama', result: 'created', resourceVersion: '1' }]);
    expect((await call('POST', '/apis/v1/apply', model('llama', 2))).json().results[0].result).to.equal('unchanged');
    const asJson = JSON.stringify({ apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'Model', metadata: { name: 'llama' }, spec: { backends: [{ name: 'sim', type: 'vLLM', modelURI: 'hf://org/m', maxReplicas: 3, workers: [{ type: 'server' }] }] } });
    expect((await call('POST', '/apis/v1/apply', asJson, 'application/json')).json().results[0].result).to.equal('configured');
  });

  it('rejects invalid documents with 422 and every problem; writes nothing', async () => {
    const r = await call('POST', '/apis/v1/apply', `${model('ok-one', 1)}---\n${model('Bad_Name', 0)}`);
    expect(r.status).to.equal(422);
    const err = r.json().error;
    expect(err.code).to.equal('MI_ERR_INVALID');
    const paths = err.problems.map((p: { path: string }) => p.path);
    expect(paths).to.include.members(['metadata.name', 'spec.backends[0].maxReplicas']);
    expect((await call('GET', '/apis/v1/models/ok-one')).status).to.equal(404);
  });

  // Regression (resource fuzz): valid by the schema but over NATS's max_payload, it failed at append time with a 500.
  it('refuses a resource too big for one event with 422 at validation; writes nothing', async () => {
    const big = model('big-one', 1).replace('workers: [{ type: server }]', `workers: [{ type: server, config: { note: "${'x'.repeat(MAX_RESOURCE_BYTES)}" } }]`);
    const r = await call('POST', '/apis/v1/apply', big);
    expect(r.status).to.equal(422);
    expect(r.json().error.problems).to.have.length(1);
    expect(r.json().error.problems[0]).to.include({ path: '', kind: 'Model', name: 'big-one' });
    expect((await call('GET', '/apis/v1/models/big-one')).status).to.equal(404);
  });

  it('answers 409 to a stale resourceVersion', async () => {
    const created = (await call('POST', '/apis/v1/apply', model('race', 1))).json().results[0];
    const [a, b] = await Promise.all([
      call('POST', '/apis/v1/apply', model('race', 2, created.resourceVersion)),
      call('POST', '/apis/v1/apply', model('race', 3, created.resourceVersion)),
    ]);
    expect([a.status, b.status].sort()).to.deep.equal([200, 409]);
    expect((a.status === 409 ? a : b).json().error.code).to.equal('MI_ERR_CONFLICT');
  });

  it('gets, lists by any kind name, deletes; 404 for unknown kind and missing resource', async () => {
    const one = await call('GET', '/apis/v1/Model/llama?namespace=default');
    expect(one.status).to.equal(200);
    expect(one.json().metadata.name).to.equal('llama');
    const list = await call('GET', '/apis/v1/mdl');
    expect(list.json().items.map((i: { metadata: { name: string } }) => i.metadata.name)).to.deep.equal(['llama', 'race']);
    expect((await call('DELETE', '/apis/v1/models/race')).json()).to.deep.equal({ kind: 'Model', namespace: 'default', name: 'race', result: 'deleted' });
    expect((await call('DELETE', '/apis/v1/models/race')).status).to.equal(404);
    const unknown = await call('GET', '/apis/v1/widgets');
    expect(unknown.status).to.equal(404);
    expect(unknown.json().error.code).to.equal('MI_ERR_UNKNOWN_KIND');
  });

  it('refuses a change of an immutable field (also on dry run), writing nothing of the batch', async () => {
    const route = (name: string, modelName: string) => `apiVersion: networking.matrixinfer.ai/v1alpha1\nkind: ModelRoute\nmetadata: { name: ${name} }\nspec:\n  modelName: ${modelName}\n  rules: [{ name: all, targetModels: [{ modelServerName: s }] }]\n`;
    expect((await call('POST', '/apis/v1/apply', route('fixed', 'a'))).status).to.equal(200);
    for (const q of ['', '?dryRun=true']) {
      const r = await call('POST', `/apis/v1/apply${q}`, `${route('fresh', 'x')}---\n${route('fixed', 'b')}`);
      expect(r.status, q).to.equal(422);
      const [p] = r.json().error.problems;
      expect(p).to.include({ kind: 'ModelRoute', name: 'fixed', index: 1, path: 'spec.modelName' });
      expect(p.message).to.match(/^is immutable \(was "a", now "b"\)/);
    }
    expect((await call('GET', '/apis/v1/modelroutes/fresh')).status).to.equal(404);
    expect((await call('GET', '/apis/v1/modelroutes/fixed')).json().spec.modelName).to.equal('a');
  });

  it('validates without writing with ?dryRun=true', async () => {
    const r = await call('POST', '/apis/v1/apply?dryRun=true', model('dry-one', 1));
    expect(r.json()).to.deep.equal({ dryRun: true, results: [{ kind: 'Model', namespace: 'default', name: 'dry-one', result: 'valid' }] });
    expect((await call('GET', '/apis/v1/models/dry-one')).status).to.equal(404);
  });

  it('is not ready once its NATS connection is closed', async () => {
    const other = await connectNats({ url: server.url, name: 'api-test-closed' });
    const svc = await createNatsResourceService(other, 'api-test');
    const closedApi = await startApiServer({ port: 0, service: svc, logger });
    try {
      expect((await fetch(`${closedApi.url}/readyz`)).status).to.equal(200);
      await other.close();
      expect((await fetch(`${closedApi.url}/readyz`)).status).to.equal(503);
      expect((await fetch(`${closedApi.url}/healthz`)).status).to.equal(200);
    } finally {
      await closedApi.close();
    }
  });

  it('serves health, readiness and Prometheus metrics counting requests', async () => {
    expect((await call('GET', '/healthz')).status).to.equal(200);
    expect((await call('GET', '/readyz')).status).to.equal(200);
    const m = await call('GET', '/metrics');
    expect(m.status).to.equal(200);
    expect(m.text).to.match(/mi_api_requests_total\{method="POST",route="\/apis\/v1\/apply",code="422"\} 4/);
    expect(m.text).to.match(/mi_api_resources_applied_total\{kind="Model",result="created"\} \d+/);
  });

  it('a valid traceparent header of an apply or delete rides on the desired event; an invalid one does not', async () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const send = (method: string, path: string, traceparent: string, body?: string) =>
      fetch(`${api.url}${path}`, { method, body, headers: { traceparent, ...(body === undefined ? {} : { 'content-type': 'application/yaml' }) } });
    expect((await send('POST', '/apis/v1/apply', tp, model('traced-api', 1))).status).to.equal(200);
    const jsm = await jetstreamManager(nc);
    const last = async () => decodeEvent((await jsm.streams.getMessage(STREAMS.desired, { last_by_subj: 'mi.desired.model.default.traced-api' }))!.data);
    expect((await last()).traceparent).to.equal(tp);
    expect((await send('DELETE', '/apis/v1/models/traced-api', `ff-${tp.slice(3)}`)).status).to.equal(200);
    const deleted = await last();
    expect(deleted.type).to.equal('resource.deleted');
    expect('traceparent' in deleted).to.equal(false);
  });
});

