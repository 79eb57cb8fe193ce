// The far side of the stream-load benchmark, in its own process so that the gateway's memory is
// measured alone: slow-streaming fake engines and the client connections. Driven over IPC by
// stream-load.ts.
import http from 'node:http';
import { startFakeUpstream, type FakeUpstream } from '../src/gateway/testing.js';

/** Messages from the driver. */
export type PeerCommand =
  | { type: 'upstreams'; count: number; tokens: number; tokenDelayMs: number }
  | { type: 'open'; url: string; connections: number; body: string }
  | { type: 'close' };

/** Messages to the driver. */
export type PeerReport =
  | { type: 'upstreams'; urls: string[] }
  | { type: 'opened'; streaming: number; errorCount: number; errors: string[] }
  | { type: 'finished'; completed: number; errorCount: number; errors: string[] };

const send = (r: PeerReport): void => void process.send!(r);
const upstreams: FakeUpstream[] = [];

function open(url: string, connections: number, body: string): void {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const errors: string[] = [];
  let streaming = 0;
  let settled = 0;
  let completed = 0;
  let reportedOpen = false;
  const settle = (): void => {
    settled++;
    if (!reportedOpen && streaming + errors.length >= connections) {
      reportedOpen = true;
      send({ type: 'opened', streaming, errorCount: errors.length, errors: errors.slice(0, 20) });
    }
    if (settled === connections) send({ type: 'finished', completed, errorCount: errors.length, errors: errors.slice(0, 20) });
  };
  const one = (): void => {
    let first = true;
    let tail = '';
    let over = false;
    const finish = (error?: string): void => {
      if (over) return;
      over = true;
      if (error !== undefined) errors.push(error);
      else completed++;
      settle();
    };
    const req = http.request(`${url}/v1/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return finish(`status ${res.statusCode}`);
      }
      res.on('data', (b: Buffer) => {
        if (first) {
          first = false;
          streaming++;
          if (!reportedOpen && streaming + errors.length >= connections) {
            reportedOpen = true;
            send({ type: 'opened', streaming, errorCount: errors.length, errors: errors.slice(0, 20) });
          }
        }
        tail = (tail + b.toString()).slice(-64);
      });
      res.on('end', () => finish(tail.endsWith('data: [DONE]\n\n') ? undefined : `stream ended without [DONE]: ${JSON.stringify(tail)}`));
      res.on('error', (err) => finish(`response: ${err.message}`));
      res.on('close', () => finish(res.complete ? undefined : 'response cut'));
    });
    req.on('error', (err) => finish(`request: ${err.message}`));
    req.end(body);
  };
  // Ramp in batches: the listen backlog is finite, and a SYN retry costs a second.
  let opened = 0;
  const batch = (): void => {
    for (let k = 0; k < 100 && opened < connections; k++, opened++) one();
    if (opened < connections) setTimeout(batch, 20);
  };
  batch();
}

process.on('message', (m: PeerCommand) => {
  switch (m.type) {
    case 'upstreams':
      void Promise.all(Array.from({ length: m.count }, (_, i) => startFakeUpstream(`load-${i}`, { tokens: m.tokens, tokenDelayMs: m.tokenDelayMs }))).then((list) => {
        upstreams.push(...list);
        send({ type: 'upstreams', urls: list.map((u) => u.url) });
      });
      return;
    case 'open':
      return open(m.url, m.connections, m.body);
    case 'close':
      void Promise.all(upstreams.map((u) => u.close())).then(() => process.exit(0));
      return;
  }
});
