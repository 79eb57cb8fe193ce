// Property-based fuzzing of the gateway over real HTTP (fast-check): malformed requests of every
// kind (fuzz-cases.ts) against a real gateway, a real nats-server and an engine simulator.
// Properties: no crash, every answer is an allowed status with an OpenAI error body (or the
// engine's 200 for a body it accepts), connections the HTTP parser rejects get a 4xx or are
// closed and never hang, a valid request is still served, and the heap stays flat.
// Runs: MI_FUZZ_RUNS (default 10,000, about 30 s on 2 cores; MI_FUZZ_RUNS=500 for a quick look).
import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startSimulator, type RunningSimulator } from '@matrixinfer/engine-sim';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { ALLOWED_STATUSES, FUZZ_MODEL, fuzzCases, openAiErrorProblem, validChat, type FuzzCase, type HttpCase, type RawCase } from './fuzz-cases.js';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server } from './testing.js';

const RUNS = Number(process.env.MI_FUZZ_RUNS ?? 10_000);
const CAP = 4 * 1024 * 1024;
/** A connection with no answer and no close for this long is a hang. */
const HANG_MS = 10_000;

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

/** The first response on a raw connection (status 0: closed with no answer). */
function parseRaw(buf: Buffer): Answer {
  if (buf.length === 0) return { status: 0, headers: {}, text: '' };
  const s = buf.toString('latin1');
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(s);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(s.slice(0, 120))}`);
  const end = s.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of s.slice(0, end).split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const len = Number(headers['content-length'] ?? 0);
  return { status: Number(m[1]), headers, text: buf.subarray(end + 4, end + 4 + len).toString('utf8') };
}

function describeCase(c: FuzzCase): string {
  const bytes = c.kind === 'http' ? c.body : c.bytes;
  const what = c.kind === 'http' ? `${c.method} ${c.path} headers ${JSON.stringify(c.headers).slice(0, 200)}` : c.what;
  return `${what}, ${bytes.length} bytes ${JSON.stringify(bytes.subarray(0, 300).toString('latin1'))}`;
}

describe('gateway fuzz (fast-check, real HTTP, nats-server, engine simulator)', function () {
  this.timeout(600_000);
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let sim: RunningSimulator;
  let gw: GatewayHandle;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    sim = await startSimulator({ profile: 'cpu-small', port: 0, model: 'fuzz-sim', seed: 1, timeScale: 50 });
    await putRoute(await routesBucket(nc), modelEntry(FUZZ_MODEL, [server('fuzz-srv', [{ id: 'sim-0', url: sim.url }], { model: 'fuzz-sim' })]));
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-fuzz', logLevel: 'off', seed: 7, maxBodyBytes: CAP, holdTimeoutMs: 0 });
    await gw.ready;
  });
  after(async () => {
    agent.destroy();
    await gw?.close();
    await sim?.close();
    await nc?.close();
    await nats?.close();
  });

  const send = (c: HttpCase): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = http.request(`${gw.url}${c.path}`, { method: c.method, agent, headers: { ...c.headers, 'content-length': String(c.body.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(HANG_MS, () => req.destroy(new Error(`no answer in ${HANG_MS} ms (hang)`)));
      req.on('error', reject);
      req.end(c.body);
    });

  const sendRaw = (c: RawCase): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const sock = net.connect(gw.port, '127.0.0.1');
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`${c.what}: neither answered nor closed in ${HANG_MS} ms (hang)`));
      }, HANG_MS);
      sock.on('data', (b: Buffer) => chunks.push(b));
      // A reset while we still write is the server closing on us: allowed.
      sock.on('error', () => {});
      sock.on('close', () => {
        clearTimeout(timer);
        try {
          resolve(parseRaw(Buffer.concat(chunks)));
        } catch (err) {
          reject(err as Error);
        }
      });
      sock.end(c.bytes);
    });

  const expectServed = async (): Promise<void> => {
    const ok = await send({ kind: 'http', method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(validChat())) });
    expect(ok.status, ok.text).to.equal(200);
    expect((JSON.parse(ok.text) as { object: string }).object).to.equal('chat.completion');
  };

  function expectAnswer(a: Answer, what: string, head: boolean): void {
    expect(ALLOWED_STATUSES.has(a.status), `${what}: status ${a.status} ${a.text.slice(0, 300)}`).to.equal(true);
    if (a.status === 200) {
      if (what.startsWith('POST /v1/')) expect(a.text, what).to.match(/"choices"|^data: /);
      return;
    }
    if (!head) expect(openAiErrorProblem(a.text), `${what}: status ${a.status}`).to.equal(null);
  }

  it(`${RUNS} malformed requests: allowed statuses with OpenAI error bodies, no hang, still serving, heap flat`, async () => {
    await expectServed();
    const seen = new Map<string, number>();
    const count = (k: string): void => void seen.set(k, (seen.get(k) ?? 0) + 1);
    let heapAtStart = 0;
    let run = 0;
    const warm = Math.min(500, Math.floor(RUNS / 4));
    const one = async (c: FuzzCase): Promise<void> => {
      if (run === warm) heapAtStart = heapAfterGc();
      if (++run % 1000 === 0) await expectServed();
      if (c.kind === 'http') {
        const a = await send(c);
        count(`http ${a.status}`);
        expectAnswer(a, `${c.method} ${c.path}`, c.method === 'HEAD');
      } else {
        const a = await sendRaw(c);
        count(`raw ${a.status}`);
        // The parser refused it (a 4xx, or closed), or it was a request the gateway answered.
        if (a.status !== 0) expectAnswer(a, c.what, false);
      }
    };
    const out = await fc.check(
      fc.asyncProperty(fuzzCases(CAP), async (c) => {
        try {
          await one(c);
        } catch (err) {
          // The case in short: a full counterexample can be megabytes.
          throw new Error(`${describeCase(c)}: ${(err as Error).message}`, { cause: err });
        }
      }),
      { numRuns: RUNS, seed: 20261207, endOnFailure: true },
    );
    if (out.failed) throw new Error(`after ${out.numRuns} runs (seed ${out.seed}): ${(out.errorInstance as Error).message}`);
    await expectServed();
    const grown = heapAfterGc() - heapAtStart;
    const summary = JSON.stringify([...seen].sort());
    // A leak of 1 KiB per request would show as ~9 MiB over the 9,500 requests after warm-up.
    expect(grown, `heap grew ${(grown / 1048576).toFixed(1)} MiB; answers ${summary}`).to.be.below(8 * 1024 * 1024);
    // Every kind of answer shows up in a run of some size (a short local run may miss the rare ones).
    if (RUNS >= 2000) for (const k of ['http 200', 'http 400', 'http 404', 'http 413', 'raw 400']) expect(seen.get(k) ?? 0, `${k} seen; answers ${summary}`).to.be.greaterThan(0);
    if (process.env.MI_FUZZ_REPORT) console.log(`    gateway fuzz: ${RUNS} runs, heap grew ${(grown / 1048576).toFixed(2)} MiB, answers ${summary}`);
  });

  // Regression (this suite's first find): JSON.parse takes it, but re-serializing it for the model
  // rewrite overflowed the stack in an event handler and the gateway process died.
  it('a body nested 20,000 deep is a 400, and the gateway keeps serving', async () => {
    const deep = Buffer.from(JSON.stringify(validChat()).replace('"max_tokens":', `"x":${'['.repeat(20_000)}${']'.repeat(20_000)},"max_tokens":`));
    const a = await send({ kind: 'http', method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: deep });
    expect(a.status, a.text).to.equal(400);
    expect(openAiErrorProblem(a.text)).to.equal(null);
    await expectServed();
  });

  /** Writes `first` at once, then `rest` one byte per `everyMs`; resolves with the answer when the server closes. */
  const slowConn = (port: number, first: Buffer, rest: Buffer, everyMs: number): Promise<{ answer: Answer; ms: number }> =>
    new Promise((resolve, reject) => {
      const t0 = Date.now();
      const chunks: Buffer[] = [];
      let i = 0;
      const sock = net.connect(port, '127.0.0.1', () => first.length > 0 && sock.write(first));
      const tick = setInterval(() => void (i < rest.length && !sock.destroyed && sock.write(rest.subarray(i, ++i))), everyMs);
      const hang = setTimeout(() => {
        sock.destroy();
        reject(new Error(`slow connection neither answered nor closed in ${HANG_MS} ms`));
      }, HANG_MS);
      sock.on('data', (b: Buffer) => chunks.push(b));
      sock.on('error', () => {});
      sock.on('close', () => {
        clearInterval(tick);
        clearTimeout(hang);
        resolve({ answer: parseRaw(Buffer.concat(chunks)), ms: Date.now() - t0 });
      });
    });

  it('slowloris: connections dribbling headers or a body get an OpenAI 408 and are closed at the timeouts, others are served meanwhile', async () => {
    const strict = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-slow', logLevel: 'off', seed: 7, headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
    try {
      await strict.ready;
      const json = JSON.stringify(validChat());
      const request = Buffer.from(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}`);
      const headEnd = request.indexOf('\r\n\r\n') + 4;
      const incomplete = request.subarray(0, request.length - 1);
      const slow = [
        ...Array.from({ length: 3 }, () => slowConn(strict.port, Buffer.alloc(0), incomplete, 50)),
        ...Array.from({ length: 3 }, () => slowConn(strict.port, request.subarray(0, headEnd), incomplete.subarray(headEnd), 100)),
      ];
      const served: number[] = [];
      for (let k = 0; k < 10; k++) {
        const a = await fetch(`${strict.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json });
        served.push(a.status);
        await a.arrayBuffer();
      }
      expect(served).to.deep.equal(Array(10).fill(200));
      for (const { answer, ms } of await Promise.all(slow)) {
        expect(answer.status, answer.text).to.equal(408);
        expect(openAiErrorProblem(answer.text)).to.equal(null);
        expect(ms, 'cut at the timeout plus the check period').to.be.within(900, 4000);
      }
      // Slow but complete is served: the whole request dribbled over about half a second.
      const closing = Buffer.from(request.toString().replace('Host: x\r\n', 'Host: x\r\nConnection: close\r\n'));
      const done = await slowConn(strict.port, Buffer.alloc(0), closing, 2);
      expect(done.answer.status, done.answer.text).to.equal(200);
    } finally {
      await strict.close();
    }
  });
});
