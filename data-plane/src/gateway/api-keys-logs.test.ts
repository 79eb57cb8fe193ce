// `mi-gateway --api-keys` as a real child process at debug level: whatever a request does with a
// key (served, unknown, outside its scope, over its limit, a rejected reload), the winston output
// names the key id and never the key or its hash.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { formatApiKeyFile, hashApiKey } from '@matrixinfer/schemas';
import { modelEntry, putRoute, routesBucket, server, startFakeUpstream, waitFor, type FakeUpstream } from './testing.js';

const BIN = fileURLToPath(new URL('../../bin/mi-gateway.js', import.meta.url));
const KEY = 'mi-sk-logtest-0123456789abcdefghijklmnopqrstuvwxyzAB';
const OTHER = 'mi-sk-never-issued-0123456789abcdefghijklmnopqrstu';
const ADMIN = 'admin-token-logtest-0123456789';

describe('mi-gateway --api-keys: keys never reach the logs', function () {
  this.timeout(60_000);
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let up: FakeUpstream;
  let child: ChildProcess | undefined;
  let dir: string;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    up = await startFakeUpstream('ep-logs');
    await putRoute(await routesBucket(nc), modelEntry('llama', [server('llama-srv', [up])]));
    dir = mkdtempSync(join(tmpdir(), 'mi-gw-logs-'));
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await up?.close();
    await nc?.close();
    await nats?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs the key id on requests and reloads, never the key or its hash', async () => {
    const keys = join(dir, 'keys.yaml');
    writeFileSync(keys, formatApiKeyFile({ format: 'mi.apikeys/v1', keys: [{ id: 'logtest', sha256: hashApiKey(KEY), models: ['llama'], rpm: 2 }] }));
    writeFileSync(join(dir, 'admin'), `${ADMIN}\n`);
    child = spawn(process.execPath, [BIN, '--workers', '1', '--port', '0', '--nats-url', nats.url, '--name', 'gw-logs', '--log-level', 'debug', '--api-keys', keys, '--admin-token-file', join(dir, 'admin')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    await waitFor('the ready line', () => /"url":"http/.test(out), 30_000);
    const url = (JSON.parse(out.split('\n').find((l) => l.includes('"url":"http'))!) as { url: string }).url;
    await waitFor('the route', async () => (await fetch(`${url}/readyz`)).status === 200, 10_000);

    const send = async (key: string | undefined, model: string): Promise<number> => {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.text();
      return res.status;
    };
    const statuses = [await send(KEY, 'llama'), await send(KEY, 'other'), await send(OTHER, 'llama'), await send(undefined, 'llama'), await send(KEY, 'llama'), await send(KEY, 'llama')];
    expect(statuses).to.deep.equal([200, 403, 401, 401, 200, 429]);
    expect((await fetch(`${url}/debug/routes`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).to.equal(200);
    // A rejected reload logs an error naming the file and the field.
    writeFileSync(keys, `format: mi.apikeys/v1\nkeys: [{id: logtest, sha256: ${KEY}, models: [llama]}]\n`);
    await waitFor('the rejection logged', () => out.includes('api key file rejected'), 10_000);

    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
    expect(out).to.include('"key":"logtest"');
    expect(out).to.include('api keys loaded');
    for (const secret of [KEY, OTHER, ADMIN, hashApiKey(KEY), hashApiKey(OTHER)]) expect(out, secret).to.not.include(secret);
    // The rejected file held a raw key where the hash belongs: the error names the field, not the value.
    expect(out).to.include('keys[0].sha256');
  });
});
