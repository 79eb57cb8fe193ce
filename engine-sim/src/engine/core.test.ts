import { expect } from 'chai';
import { createEngineCore, type EngineCore } from './core.js';
import { createRng } from './rng.js';
import { recordingListener, recordingSink, testRequest, tokens, type RecordingSink } from './testing.js';
import type { EngineParams } from './types.js';

const BASE: EngineParams = {
  maxNumSeqs: 4, kvBlocks: 64, blockSize: 16, prefillOverheadMs: 30, prefillMsPerToken: 0.25, itlMs: 10,
  itlBatchFactor: 1, kvTransferMsPerBlock: 0.5, jitter: 0, maxLoras: 2,
};

function make(p: Partial<EngineParams> = {}): { core: EngineCore; sink: RecordingSink } {
  const sink = recordingSink();
  return { core: createEngineCore({ ...BASE, ...p }, createRng(7), sink), sink };
}

/** Advances the core event by event until idle or `untilMs`. */
function runUntilIdle(core: EngineCore, untilMs = 1e9): number {
  let now = 0;
  for (let i = 0; i < 100000; i++) {
    const due = core.nextDueMs();
    if (due === undefined || due > untilMs) return now;
    now = Math.max(now, due);
    core.advance(now);
  }
  throw new Error('core did not go idle');
}

describe('sim engine core (fake clock)', () => {
  it('first token at overhead + prompt * per-token, then one token per itl, finishing by length', () => {
    const { core, sink } = make();
    const l = recordingListener();
    core.submit(testRequest('a', tokens(100), 3), l, 0);
    runUntilIdle(core);
    expect(l.times).to.deep.equal([30 + 100 * 0.25, 55 + 10, 55 + 20]);
    expect(l.finish?.reason).to.equal('length');
    expect(l.finish?.completionTokens).to.equal(3);
    expect(sink.prompt).to.equal(100);
    expect(sink.generated).to.equal(3);
    expect(sink.ttfts).to.deep.equal([55]);
    expect(sink.itls).to.deep.equal([10, 10]);
  });

  it('stops with "stop" at the natural length when it comes before max_tokens', () => {
    const { core } = make();
    const l = recordingListener();
    core.submit(testRequest('a', tokens(10), 50, { stopAfterTokens: 4 }), l, 0);
    runUntilIdle(core);
    expect(l.finish?.reason).to.equal('stop');
    expect(l.ids).to.have.length(4);
  });

  it('the same prompt again hits the prefix cache of the finished request and gets a shorter TTFT', () => {
    const { core, sink } = make();
    const first = recordingListener();
    core.submit(testRequest('a', tokens(200), 1), first, 0);
    const t1 = runUntilIdle(core);
    const second = recordingListener();
    core.submit(testRequest('b', tokens(200), 1), second, t1);
    runUntilIdle(core);
    // 200 tokens = 12 full blocks + 8: the 12 full blocks (192 tokens) are cached.
    expect(sink.queries).to.equal(400);
    expect(sink.hits).to.equal(192);
    expect(second.finish?.cachedTokens).to.equal(192);
    expect(first.times[0] - 0).to.equal(30 + 200 * 0.25);
    expect(second.times[0] - t1).to.equal(30 + 8 * 0.25);
  });

  it('a fully cached prompt still computes its last block', () => {
    const { core, sink } = make();
    core.submit(testRequest('a', tokens(64), 1), recordingListener(), 0);
    const t1 = runUntilIdle(core);
    core.submit(testRequest('b', tokens(64), 1), recordingListener(), t1);
    runUntilIdle(core);
    expect(sink.hits).to.equal(48);
  });

  it('different cache salts (LoRA adapters) never share blocks', () => {
    const { core, sink } = make();
    core.submit(testRequest('a', tokens(64), 1, { cacheSalt: 'base' }), recordingListener(), 0);
    const t1 = runUntilIdle(core);
    core.submit(testRequest('b', tokens(64), 1, { cacheSalt: 'adapter' }), recordingListener(), t1);
    runUntilIdle(core);
    expect(sink.hits).to.equal(0);
  });

  it('more requests than max-num-seqs wait FCFS and the waiting ones get a later first token', () => {
    const { core } = make({ maxNumSeqs: 2 });
    const ls = [recordingListener(), recordingListener(), recordingListener()];
    ls.forEach((l, i) => core.submit(testRequest(`r${i}`, tokens(16, i * 100), 2), l, 0));
    expect(core.snapshot()).to.include({ running: 2, waiting: 1 });
    runUntilIdle(core);
    const ttft = ls.map((l) => l.times[0]);
    expect(ttft[0]).to.equal(34);
    expect(ttft[1]).to.equal(34);
    // r2 starts when r0 finishes (34 + itl at B=2: 10 * (1 + 1*(2-1)/(2-1)) = 20) and pays its own prefill.
    expect(ttft[2]).to.equal(34 + 20 + 34);
    expect(ls[2].finish?.scheduledMs).to.equal(54);
  });

  it('admission stops at the first request whose KV blocks do not fit', () => {
    const { core } = make({ kvBlocks: 10 });
    core.submit(testRequest('big', tokens(120), 4), recordingListener(), 0); // 8 blocks
    core.submit(testRequest('next', tokens(48, 500), 1), recordingListener(), 0); // 3 blocks: does not fit
    core.submit(testRequest('small', tokens(8, 900), 1), recordingListener(), 0); // would fit, but FCFS
    expect(core.snapshot()).to.include({ running: 1, waiting: 2, usedBlocks: 8 });
    runUntilIdle(core);
    expect(core.snapshot()).to.include({ running: 0, waiting: 0, usedBlocks: 0 });
  });

  it('rejects a request that could never fit in KV', () => {
    const { core } = make({ kvBlocks: 2 });
    expect(() => core.submit(testRequest('x', tokens(40), 1), recordingListener(), 0)).to.throw(/KV blocks/);
  });

  it('inter-token latency grows with the running batch: itl * (1 + k*(B-1)/(max-1))', () => {
    const { core, sink } = make({ maxNumSeqs: 5, itlBatchFactor: 2 });
    for (let i = 0; i < 5; i++) core.submit(testRequest(`r${i}`, tokens(16, i * 100), 2), recordingListener(), 0);
    runUntilIdle(core);
    // B = 5 while all decode: 10 * (1 + 2 * 4 / 4) = 30 ms.
    expect(sink.itls[0]).to.equal(30);
  });

  it('cancel frees the slot and the blocks at once and reports abort', () => {
    const { core, sink } = make();
    const l = recordingListener();
    core.submit(testRequest('a', tokens(100), 100), l, 0);
    core.advance(60);
    expect(core.snapshot().running).to.equal(1);
    expect(core.cancel('a', 61)).to.equal(true);
    expect(core.snapshot()).to.include({ running: 0, usedBlocks: 0 });
    expect(l.finish?.reason).to.equal('abort');
    expect(sink.finishedInfos.map((f) => f.reason)).to.deep.equal(['abort']);
    expect(core.cancel('a', 62)).to.equal(false);
  });

  it('preempts the newest request when decoding runs out of blocks, then finishes both', () => {
    const { core, sink } = make({ kvBlocks: 4, maxNumSeqs: 2 });
    const a = recordingListener();
    const b = recordingListener();
    core.submit(testRequest('a', tokens(16), 20), a, 0); // 2 blocks at admission
    core.submit(testRequest('b', tokens(16, 100), 20), b, 0); // 2 blocks
    runUntilIdle(core);
    expect(sink.preemptions).to.be.greaterThan(0);
    expect(a.finish?.completionTokens).to.equal(20);
    expect(b.finish?.completionTokens).to.equal(20);
    expect(core.snapshot().usedBlocks).to.equal(0);
  });

  it('PD decode (remote KV) charges transfer time per uncached block instead of prefill', () => {
    const { core } = make();
    const l = recordingListener();
    core.submit(testRequest('d', tokens(100), 1, { kvSource: 'remote' }), l, 0);
    runUntilIdle(core);
    expect(l.times[0]).to.equal(7 * 0.5);
  });

  it('a holdKv (PD prefill) request keeps its blocks after it ends until releaseHeld, and they stay cached', () => {
    const { core, sink } = make({ kvBlocks: 10 });
    core.submit(testRequest('p', tokens(100), 1, { holdKv: true }), recordingListener(), 0);
    const t = runUntilIdle(core);
    expect(core.snapshot()).to.include({ running: 0, usedBlocks: 7 });
    // 7 held + 7 needed > 10: the next distinct prompt waits until the hold is released.
    core.submit(testRequest('q', tokens(100, 500), 1), recordingListener(), t);
    expect(core.snapshot().waiting).to.equal(1);
    expect(core.releaseHeld('p', t + 1)).to.equal(true);
    expect(core.releaseHeld('p', t + 1)).to.equal(false);
    expect(core.snapshot()).to.include({ waiting: 0, running: 1 });
    runUntilIdle(core);
    core.submit(testRequest('r', tokens(100), 1), recordingListener(), 1e6);
    expect(sink.hits).to.be.greaterThan(0);
  });

  it('first-token and mid-stream stalls add model time', () => {
    const { core } = make();
    const l = recordingListener();
    core.submit(testRequest('s', tokens(16), 4, { faults: { firstTokenStallMs: 100, stallAfterTokens: 2, stallMs: 500 } }), l, 0);
    runUntilIdle(core);
    expect(l.times).to.deep.equal([134, 144, 654, 664]);
  });

  it('does not let more than max-loras adapters into the batch; others overtake them', () => {
    const { core } = make({ maxLoras: 1 });
    core.submit(testRequest('x', tokens(16), 5, { lora: 'x' }), recordingListener(), 0);
    core.submit(testRequest('y', tokens(16, 100), 5, { lora: 'y' }), recordingListener(), 0);
    core.submit(testRequest('base', tokens(16, 200), 5), recordingListener(), 0);
    const snap = core.snapshot();
    expect(snap).to.include({ running: 2, waiting: 1 });
    expect(snap.runningLoras).to.deep.equal(['x']);
    expect(snap.waitingLoras).to.deep.equal(['y']);
  });

  it('is deterministic: jittered runs with the same seed give the same times', () => {
    const run = (): number[] => {
      const core = createEngineCore({ ...BASE, jitter: 0.2 }, createRng(99), recordingSink());
      const l = recordingListener();
      core.submit(testRequest('a', tokens(50), 5), l, 0);
      runUntilIdle(core);
      return l.times;
    };
    const a = run();
    expect(a).to.deep.equal(run());
    expect(a[0]).to.not.equal(30 + 50 * 0.25);
  });
});
