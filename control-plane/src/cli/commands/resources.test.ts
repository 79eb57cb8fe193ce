// apply / get / delete against a real nats-server, driven in-process through runMi.
import { expect } from 'chai';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { runMi } from '../mi.js';
import { captureIO } from '../testing.js';
import { EXIT } from '../exit.js';

const model = (name: string, maxReplicas: number, extra = '') => `apiVersion: registry.matrixinfer.ai/v1alpha1
kind: Model
metadata:
  name: ${name}
${extra}spec:
  backends:
    - name: sim
      type: vLLM
      modelURI: hf://org/m
      maxReplicas: ${maxReplicas}
      workers: [{ type: server }]
`;

describe('mi apply / get / delete (real nats-server)', function () {
  this.timeout(30_000);
  let server: TestNatsServer;
  const mi = async (args: string[], stdinText?: string) => {
    const c = captureIO({ stdinText });
    const code = await runMi(['--nats-url', server.url, ...args], c.io);
    return { code, out: c.out, err: c.err };
  };

  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    await server?.close();
  });

  it('creates, then says unchanged and writes nothing, then configured on a change', async () => {
    const first = await mi(['apply', '-f', '-'], model('llama', 2));
    expect(first).to.deep.include({ code: 0, out: ['model/llama created'] });
    const again = await mi(['apply', '-f', '-'], model('llama', 2));
    expect(again).to.deep.include({ code: 0, out: ['model/llama unchanged'] });
    const json = await mi(['get', 'model', 'llama', '-o', 'json']);
    const rv = JSON.parse(json.out.join('\n')).metadata.resourceVersion;
    expect(rv).to.equal('1');
    const changed = await mi(['apply', '-f', '-'], model('llama', 3));
    expect(changed.out).to.deep.equal(['model/llama configured']);
  });

  it('applies what get -o yaml printed as unchanged; a status in the document is ignored', async () => {
    const yaml = (await mi(['get', 'model', 'llama', '-o', 'yaml'])).out.join('\n');
    const withStatus = `${yaml}\nstatus:\n  conditions: [{ type: Active, status: "True" }]\n`;
    expect((await mi(['apply', '-f', '-'], withStatus)).out).to.deep.equal(['model/llama unchanged']);
    const stored = JSON.parse((await mi(['get', 'model', 'llama', '-o', 'json'])).out.join('\n'));
    expect(stored).to.not.have.property('status');
  });

  it('lists with a table, yaml and json, by kind, plural or short name', async () => {
    await mi(['apply', '-f', '-'], model('mistral', 1));
    const table = await mi(['get', 'models']);
    expect(table.code).to.equal(0);
    expect(table.out[0]).to.match(/^NAME\s+READY\s+STATUS\s+AGE$/);
    expect(table.out.slice(1).map((l) => l.split(/\s+/)[0])).to.deep.equal(['llama', 'mistral']);
    const yaml = await mi(['get', 'mdl', 'mistral', '-o', 'yaml']);
    expect(yaml.out).to.include('kind: Model');
    expect(yaml.out).to.include('  name: mistral');
    const list = JSON.parse((await mi(['get', 'Model', '-o', 'json'])).out.join('\n'));
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name)).to.deep.equal(['llama', 'mistral']);
  });

  it('deletes with a tombstone; a second delete and a get are not found (exit 2)', async () => {
    await mi(['apply', '-f', '-'], model('gone', 1));
    expect((await mi(['delete', 'models', 'gone'])).out).to.deep.equal(['model/gone deleted']);
    const again = await mi(['delete', 'models', 'gone']);
    expect(again.code).to.equal(EXIT.notFound);
    expect(again.err[0]).to.match(/^error: .*gone.* not found/);
    expect((await mi(['get', 'model', 'gone'])).code).to.equal(EXIT.notFound);
  });

  it('two concurrent applies from the same revision: one succeeds, the other gets a conflict (exit 3)', async () => {
    await mi(['apply', '-f', '-'], model('race', 1));
    const rv = JSON.parse((await mi(['get', 'model', 'race', '-o', 'json'])).out.join('\n')).metadata.resourceVersion;
    const at = `  resourceVersion: "${rv}"\n`;
    const [a, b] = await Promise.all([mi(['apply', '-f', '-'], model('race', 2, at)), mi(['apply', '-f', '-'], model('race', 3, at))]);
    const codes = [a.code, b.code].sort();
    expect(codes).to.deep.equal([EXIT.ok, EXIT.conflict]);
    const loser = a.code === EXIT.conflict ? a : b;
    expect(loser.err[0]).to.match(/^error: conflict \(409\): /);
  });

  it('submits nothing when one document of many is invalid', async () => {
    const r = await mi(['apply', '-f', '-'], `${model('valid-one', 1)}---\n${model('invalid-one', 0)}`);
    expect(r.code).to.equal(EXIT.invalid);
    expect(r.out).to.deep.equal([]);
    expect((await mi(['get', 'model', 'valid-one'])).code).to.equal(EXIT.notFound);
  });

  it('says nothing was applied yet on a NATS without the streams (exit 2)', async () => {
    const empty = await startNatsServer();
    try {
      const c = captureIO();
      expect(await runMi(['--nats-url', empty.url, 'events'], c.io)).to.equal(EXIT.notFound);
      expect(c.err[0]).to.match(/the MatrixInfer streams do not exist on nats:\/\/127\.0\.0\.1:\d+ yet/);
      const get = captureIO();
      expect(await runMi(['--nats-url', empty.url, 'get', 'models'], get.io)).to.equal(EXIT.notFound);
      expect(get.err[0]).to.match(/the MatrixInfer streams do not exist/);
    } finally {
      await empty.close();
    }
  });

  it('says how to fix an unreachable NATS (exit 4)', async () => {
    const c = captureIO();
    const code = await runMi(['--nats-url', 'nats://127.0.0.1:1', 'get', 'models'], c.io);
    expect(code).to.equal(EXIT.natsUnavailable);
    expect(c.err[0]).to.match(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:1 .*NATS_URL/);
  });
});
