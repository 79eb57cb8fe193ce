import { expect } from 'chai';
import { createPromptSource, createRandom, poissonGaps, tokenCount, WORKLOAD_SHAPE } from './workloads.js';

describe('routing bench workloads', () => {
  it('sizes prompts exactly in simulator tokens', () => {
    const s = WORKLOAD_SHAPE;
    expect(tokenCount(createPromptSource('shared', 1, 1).next())).to.equal(s.systemTokens + s.questionTokens);
    expect(tokenCount(createPromptSource('skewed', 1, 1).next())).to.equal(s.systemTokens + s.questionTokens);
    expect(tokenCount(createPromptSource('random', 1, 1).next())).to.equal(s.randomTokens);
  });

  it('shares a system prompt within a group, and the skewed workload sends ~70% to one group', () => {
    const src = createPromptSource('skewed', 42, 3);
    const prefixes = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const p = src.next().slice(0, 4 * WORKLOAD_SHAPE.systemTokens);
      prefixes.set(p, (prefixes.get(p) ?? 0) + 1);
    }
    expect(prefixes.size).to.be.at.most(WORKLOAD_SHAPE.groups);
    const top = Math.max(...prefixes.values()) / 500;
    expect(top).to.be.within(0.64, 0.76);
  });

  it('gives every run (salt) its own texts and repeats a run exactly', () => {
    expect(createPromptSource('shared', 1, 1).next()).to.equal(createPromptSource('shared', 1, 1).next());
    expect(createPromptSource('shared', 1, 1).next().slice(0, 400)).to.not.equal(createPromptSource('shared', 1, 2).next().slice(0, 400));
  });

  it('another stream of the same run keeps the system prompts and draws other questions', () => {
    const sys = WORKLOAD_SHAPE.systemTokens * 4;
    const groups = (stream: number): Set<string> => {
      const src = createPromptSource('shared', 1, 5, stream);
      return new Set(Array.from({ length: 400 }, () => src.next().slice(0, sys)));
    };
    expect([...groups(1)].sort()).to.deep.equal([...groups(0)].sort());
    const a = createPromptSource('shared', 1, 5, 0).next();
    const b = createPromptSource('shared', 1, 5, 1).next();
    expect(a.slice(sys)).to.not.equal(b.slice(sys));
    expect(createPromptSource('random', 1, 5, 0).next()).to.not.equal(createPromptSource('random', 1, 5, 1).next());
  });

  it('draws Poisson gaps with the requested mean', () => {
    const gaps = poissonGaps(createRandom(7), 50, 20000);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).to.be.closeTo(1 / 50, 0.001);
  });
});
