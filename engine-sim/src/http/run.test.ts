import { expect } from 'chai';
import net from 'node:net';
import { startSimulator, type RunningSimulator } from '../simulator.js';
import { postJson, sseData } from './test-helpers.js';

/** Sends one raw HTTP/1.1 request and returns the response head and the body's chunked-encoding chunks. */
function rawPost(url: string, path: string, body: unknown): Promise<{ head: string; chunks: string[] }> {
  const { hostname, port } = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), hostname);
    let raw = '';
    sock.on('data', (b: Buffer) => (raw += b.toString('latin1')));
    sock.on('error', reject);
    sock.on('end', () => {
      const split = raw.indexOf('\r\n\r\n');
      const head = raw.slice(0, split);
      const chunks: string[] = [];
      let rest = raw.slice(split + 4);
      for (;;) {
        const nl = rest.indexOf('\r\n');
        const size = parseInt(rest.slice(0, nl), 16);
        if (!(size > 0)) break;
        chunks.push(Buffer.from(rest.slice(nl + 2, nl + 2 + size), 'latin1').toString('utf8'));
        rest = rest.slice(nl + 2 + size + 2);
      }
      resolve({ head, chunks });
    });
    sock.write(`POST ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`);
  });
}

describe('sim response writes', () => {
  let fast: RunningSimulator;
  let slow: RunningSimulator;
  before(async () => {
    fast = await startSimulator({ profile: 'cpu-small', model: 'm', prefillOverheadMs: 0, prefillMsPerToken: 0, itlMs: 0, timeScale: 1000 });
    slow = await startSimulator({ profile: 'cpu-small', model: 'm', itlMs: 20, timeScale: 1 });
  });
  after(async () => {
    await fast.close();
    await slow.close();
  });

  it('a stream whose tokens are all due in one engine pass leaves in one HTTP chunk, events intact', async () => {
    const r = await rawPost(fast.url, '/v1/chat/completions', {
      model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, stream: true, stream_options: { include_usage: true },
    });
    expect(r.head).to.match(/transfer-encoding: chunked/i);
    expect(r.chunks).to.have.length(1);
    // role chunk, 8 content chunks, usage chunk, [DONE]
    expect(sseData(r.chunks[0])).to.have.length(11);
    expect(r.chunks[0].endsWith('data: [DONE]\n\n')).to.equal(true);
  });

  it('response ids: x-request-id when given, else 32 random hex digits per request (as uuid4().hex)', async () => {
    const ask = async (headers: Record<string, string> = {}): Promise<string> =>
      ((await postJson(`${fast.url}/v1/completions`, { model: 'm', prompt: 'id', max_tokens: 1 }, headers)).json() as { id: string }).id;
    const ids = new Set<string>();
    for (let i = 0; i < 300; i++) ids.add(await ask()); // more than one pool of random bytes
    expect(ids.size).to.equal(300);
    for (const id of ids) expect(id).to.match(/^cmpl-[0-9a-f]{32}$/);
    expect(await ask({ 'x-request-id': 'abc-1' })).to.equal('cmpl-abc-1');
  });

  it('tokens due at different times are written as they come, each chunk whole SSE events', async () => {
    const r = await rawPost(slow.url, '/v1/completions', { model: 'm', prompt: 'hi', max_tokens: 4, stream: true, ignore_eos: true });
    expect(r.chunks.length).to.be.at.least(4);
    for (const c of r.chunks) expect(c.endsWith('\n\n'), JSON.stringify(c)).to.equal(true);
    expect(sseData(r.chunks.join('')).filter((d) => d.startsWith('{'))).to.have.length(4);
  });
});
