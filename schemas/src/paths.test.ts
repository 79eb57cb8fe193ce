import { expect } from 'chai';
import { parseDurationMs } from './duration.js';
import { childPath, formatPath, pointerSegments } from './paths.js';

describe('issue paths', () => {
  it('formats keys, indices and odd keys', () => {
    expect(formatPath(['spec', 'rules', 0, 'targetModels', 1, 'weight'])).to.equal('spec.rules[0].targetModels[1].weight');
    expect(formatPath(['metadata', 'labels', 'app.kubernetes.io/name'])).to.equal('metadata.labels["app.kubernetes.io/name"]');
    expect(formatPath([])).to.equal('');
  });

  it('reads JSON pointers against the document, so numeric map keys stay keys', () => {
    const doc = { spec: { list: [{ a: 1 }], map: { '0': { a: 1 } } } };
    expect(pointerSegments('/spec/list/0/a', doc)).to.deep.equal(['spec', 'list', 0, 'a']);
    expect(pointerSegments('/spec/map/0/a', doc)).to.deep.equal(['spec', 'map', '0', 'a']);
    expect(pointerSegments('/a~1b/c~0d', {})).to.deep.equal(['a/b', 'c~d']);
  });

  it('joins parent and child paths', () => {
    expect(childPath('spec.rules', 2, 'name')).to.equal('spec.rules[2].name');
    expect(childPath('', 'spec')).to.equal('spec');
    expect(childPath('spec.rules', 0)).to.equal('spec.rules[0]');
  });
});

describe('parseDurationMs', () => {
  const cases: Array<[string, number | undefined]> = [
    ['30s', 30_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5s', 1500],
    ['30', undefined],
    ['', undefined],
    ['-1s', undefined],
    ['1d', undefined],
  ];
  for (const [text, ms] of cases) {
    it(`${JSON.stringify(text)} -> ${ms}`, () => expect(parseDurationMs(text)).to.equal(ms));
  }
});
