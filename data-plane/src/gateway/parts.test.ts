import { expect } from 'chai';
import { estimateTokens, MAX_BODY_DEPTH, nestsDeeperThan, parseBody, promptText, upstreamBody } from './body.js';
import { GatewayError } from './errors.js';
import { clientHeaders, upstreamHeaders } from './headers.js';
import { RateLimiter, TokenBucket } from './rate-limit.js';
import { parseUsageBytes, parseUsageTail, TailKeeper } from './usage.js';

describe('gateway body parsing', () => {
  const bad: Array<{ name: string; raw: string; param: string | null }> = [
    { name: 'malformed JSON', raw: '{"model":', param: null },
    { name: 'array body', raw: '[1]', param: null },
    { name: 'missing model', raw: '{"prompt":"x"}', param: 'model' },
    { name: 'non-string model', raw: '{"model":7}', param: 'model' },
    { name: 'empty model', raw: '{"model":""}', param: 'model' },
    // Regression (gateway fuzz): JSON.parse took this, the re-serialization for the model rewrite overflowed the stack and crashed the process.
    { name: 'nesting 20,000 deep', raw: `{"model":"m","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`, param: null },
    { name: 'nesting one level over the limit', raw: `{"model":"m","x":${'['.repeat(MAX_BODY_DEPTH)}${']'.repeat(MAX_BODY_DEPTH)}}`, param: null },
  ];
  for (const tc of bad) {
    it(`rejects ${tc.name} with 400`, () => {
      const r = parseBody(Buffer.from(tc.raw));
      expect(r).to.be.instanceOf(GatewayError);
      expect((r as GatewayError).status).to.equal(400);
      expect((r as GatewayError).param).to.equal(tc.param);
    });
  }

  it('counts nesting outside strings only, up to the limit inclusive', () => {
    const atLimit = `{"model":"m","x":${'['.repeat(MAX_BODY_DEPTH - 1)}${']'.repeat(MAX_BODY_DEPTH - 1)}}`;
    expect(parseBody(Buffer.from(atLimit))).not.to.be.instanceOf(GatewayError);
    const over = `{"model":"m","x":${'['.repeat(MAX_BODY_DEPTH)}${']'.repeat(MAX_BODY_DEPTH)}}`;
    expect((parseBody(Buffer.from(over)) as GatewayError).message).to.match(/deeper than 128/);
    const deepObject = `{"model":"m","x":${'{"y":'.repeat(MAX_BODY_DEPTH)}1${'}'.repeat(MAX_BODY_DEPTH)}}`;
    expect(parseBody(Buffer.from(deepObject))).to.be.instanceOf(GatewayError);
    expect(nestsDeeperThan(JSON.parse(`{"a":"${'['.repeat(500)}\\\\\\"[[["}`), 3)).to.equal(false);
    expect(nestsDeeperThan(JSON.parse('[[[[]]]]'), 3)).to.equal(true);
    expect(nestsDeeperThan(JSON.parse('[[[]],[[]]]'), 3)).to.equal(false);
    expect(nestsDeeperThan(JSON.parse('[1,[2,[3,{"a":[]}]]]'), 4)).to.equal(true);
    expect(nestsDeeperThan('[[[[[', 1)).to.equal(false);
  });

  it('forwards the original bytes when the model stays, re-serializes when rewritten', () => {
    const raw = Buffer.from('{"model":"a",  "stream":true}');
    const p = parseBody(raw);
    if (p instanceof GatewayError) throw p;
    expect(p.stream).to.equal(true);
    expect(upstreamBody(raw, p, 'a')).to.equal(raw);
    expect(JSON.parse(upstreamBody(raw, p, 'b').toString())).to.deep.equal({ model: 'b', stream: true });
  });

  it('extracts prompt text from prompts and chat messages', () => {
    expect(promptText({ prompt: 'abc' })).to.equal('abc');
    expect(promptText({ prompt: ['a', 'b'] })).to.equal('ab');
    expect(promptText({ messages: [{ role: 'system', content: 'x' }, { role: 'user', content: [{ type: 'text', text: 'y' }] }] })).to.equal('xy');
    expect(estimateTokens('12345678')).to.equal(2);
  });
});

describe('gateway usage sniffing', () => {
  it('reads usage from a JSON body and from the final SSE usage chunk', () => {
    expect(parseUsageTail('{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46}}')).to.deep.equal({ promptTokens: 12, completionTokens: 34 });
    const sse = 'data: {"usage":null}\n\ndata: {"choices":[],"usage": {"prompt_tokens": 5, "completion_tokens": 9}}\n\ndata: [DONE]\n\n';
    expect(parseUsageTail(sse)).to.deep.equal({ promptTokens: 5, completionTokens: 9 });
    expect(parseUsageTail('data: {"usage":null}\n\ndata: [DONE]\n\n')).to.equal(null);
  });

  it('keeps the last three chunks, so a usage object split across chunks is found', () => {
    const t = new TailKeeper();
    for (const c of ['data: {"x":1}\n\n', 'data: {"usage":{"prompt_', 'tokens":3,"completion_tokens":4}}\n\n', 'data: [DONE]\n\n']) t.push(Buffer.from(c));
    expect(parseUsageTail(t.text())).to.deep.equal({ promptTokens: 3, completionTokens: 4 });
    expect(t.usage()).to.deep.equal({ promptTokens: 3, completionTokens: 4 });
  });

  it('reads usage from the bytes of the last chunk as from the joined tail, however the body is cut', () => {
    const body = 'data: {"usage":null,"completion_tokens":1}\n\ndata: {"choices":[],"usage":{"prompt_tokens":27,"completion_tokens":16,"total_tokens":43}}\n\ndata: [DONE]\n\n';
    for (let cut1 = 1; cut1 < body.length; cut1 += 3) {
      for (const cut2 of [cut1 + 1, cut1 + 7, cut1 + 40]) {
        const t = new TailKeeper();
        for (const c of [body.slice(0, cut1), body.slice(cut1, cut2), body.slice(cut2)]) if (c.length > 0) t.push(Buffer.from(c));
        expect(t.usage(), `cut at ${cut1}/${cut2}`).to.deep.equal({ promptTokens: 27, completionTokens: 16 });
        expect(t.usage(40), `window 40, cut at ${cut1}/${cut2}`).to.deep.equal(parseUsageBytes(t.bytes(40)));
      }
    }
    expect(new TailKeeper().usage()).to.equal(null);
    const none = new TailKeeper();
    none.push(Buffer.from('{"choices":[],"usage":{"prompt_tokens":null}}'));
    expect(none.usage()).to.equal(null);
  });
});

describe('gateway header rewriting', () => {
  it('strips hop-by-hop headers both ways and adds the gateway headers', () => {
    const up = upstreamHeaders(
      { host: 'gw', connection: 'keep-alive, x-secret', 'x-secret': '1', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', authorization: 'Bearer k', 'content-length': '99' },
      'rid',
      10,
    );
    expect(up).to.deep.equal({ authorization: 'Bearer k', 'x-request-id': 'rid', 'content-length': '10' });
    const raw = ['Content-Type', 'text/event-stream', 'Connection', 'close, X-Internal', 'Transfer-Encoding', 'chunked', 'X-Internal', '1', 'x-fake', 'a'];
    const down = clientHeaders(raw.map((h, i) => (i % 2 ? h : Buffer.from(h))), 'rid', 'ep-1', 'r/default/s');
    expect(down).to.deep.equal(['content-type', 'text/event-stream', 'x-fake', 'a', 'x-request-id', 'rid', 'x-mi-endpoint', 'ep-1', 'x-mi-route', 'r/default/s']);
  });
});

describe('gateway token rate limits', () => {
  it('token bucket refills continuously and reports the wait', () => {
    const b = new TokenBucket(100, 1000, 0);
    b.take(100, 0);
    expect(b.waitMs(50, 0)).to.equal(500);
    expect(b.waitMs(50, 500)).to.equal(0);
    expect(b.available(2000)).to.equal(100);
  });

  it('refuses input over the limit with Retry-After, and blocks on output debt', () => {
    const rl = new RateLimiter();
    const cfg = { inputTokensPerUnit: 100, outputTokensPerUnit: 50, unit: 'minute' as const };
    expect(rl.admit('m', cfg, 80, 0)).to.deep.equal({ ok: true });
    const refused = rl.admit('m', cfg, 80, 0);
    expect(refused.ok).to.equal(false);
    expect(refused.ok === false && refused.retryAfterS).to.equal(36); // 60 more tokens at 100/min
    rl.charge('m', cfg, 80, 60_000); // output debt of 30 after a full refill
    const blocked = rl.admit('m', cfg, 1, 60_000);
    expect(blocked.ok).to.equal(false);
    expect(rl.admit('m', cfg, 1, 60_000 + 40_000).ok).to.equal(true);
    expect(rl.admit('other', undefined, 1e9, 0).ok).to.equal(true);
  });

  it('global limits: own consumption is noted for the peers, peers\' consumption is taken here', () => {
    const rl = new RateLimiter();
    const global = { inputTokensPerUnit: 100, outputTokensPerUnit: 50, unit: 'minute' as const, global: true };
    const local = { inputTokensPerUnit: 100, unit: 'minute' as const };
    expect(rl.admit('g', global, 30, 0).ok).to.equal(true);
    rl.charge('g', global, 7, 0);
    expect(rl.admit('l', local, 30, 0).ok).to.equal(true);
    expect(rl.drainUnshared()).to.deep.equal([{ model: 'g', input: 30, output: 7 }]);
    expect(rl.drainUnshared(), 'drained once').to.deep.equal([]);
    rl.applyPeer('g', global, 60, 50, 0);
    rl.applyPeer('l', local, 60, 0, 0); // a per-replica limit ignores peers
    expect(rl.debug(0)).to.deep.equal({
      g: { unit: 'minute', global: true, input: 10, output: -7 },
      l: { unit: 'minute', global: false, input: 70 },
    });
    expect(rl.admit('g', global, 1, 0).ok, 'output debt from a peer blocks here too').to.equal(false);
    expect(rl.admit('l', local, 60, 0).ok).to.equal(true);
  });
});
