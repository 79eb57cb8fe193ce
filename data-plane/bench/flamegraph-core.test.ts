import { expect } from 'chai';
import { foldProfile, renderFlameGraph, shortUrl, type CpuProfile } from './flamegraph-core.js';

// root(1) > main(2) > a(3), b(4); main(2) > a again under another node (5); idle(6) under root.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '' }, children: [2, 6] },
    { id: 2, callFrame: { functionName: 'main', url: 'file:///w/data-plane/src/gateway/gateway.ts' }, children: [3, 4, 5] },
    { id: 3, callFrame: { functionName: 'a', url: 'file:///w/node_modules/undici/lib/x.js' } },
    { id: 4, callFrame: { functionName: '', url: 'node:events' } },
    { id: 5, callFrame: { functionName: 'a', url: 'file:///w/node_modules/undici/lib/x.js' } },
    { id: 6, callFrame: { functionName: '(idle)', url: '' } },
  ],
  samples: [3, 4, 5, 6, 3, 2],
  timeDeltas: [100, 100, 100, 100, 100, 100],
};

describe('flame graph of a .cpuprofile', () => {
  it('shortens URLs to src/ or the last node_modules/', () => {
    expect(shortUrl('file:///w/data-plane/src/gateway/gateway.ts')).to.equal('src/gateway/gateway.ts');
    expect(shortUrl('file:///w/node_modules/a/node_modules/b/i.js')).to.equal('node_modules/b/i.js');
    expect(shortUrl('node:events')).to.equal('node:events');
  });

  it('merges frames of one function and file under one parent, drops idle, sums time', () => {
    const root = foldProfile(profile);
    expect(root.us).to.equal(500);
    expect(root.children).to.have.length(1);
    const main = root.children[0];
    expect(main).to.include({ name: 'main', where: 'src/gateway/gateway.ts', us: 500 });
    const a = main.children.find((c) => c.name === 'a')!;
    expect(a.us).to.equal(300);
    expect(main.children.find((c) => c.name === '(anonymous)')!.us).to.equal(100);
  });

  it('counts only samples inside the window', () => {
    // Sample times are 100..600 µs; the window 250..450 holds the 3rd and 4th (4th is idle).
    const root = foldProfile(profile, 250, 450);
    expect(root.us).to.equal(100);
    expect(root.children[0].children.map((c) => [c.name, c.us])).to.deep.equal([['a', 100]]);
  });

  it('draws boxes as wide as their time, escapes names, and leaves out frames below the minimum', () => {
    const root = foldProfile(profile);
    root.children[0].name = 'main<&>';
    const svg = renderFlameGraph(root, { title: 't & u', width: 520, requests: 5 });
    expect(svg).to.match(/^<svg /);
    expect(svg).to.include('t &amp; u');
    expect(svg).to.include('main&lt;&amp;&gt; src/gateway/gateway.ts 100.0 µs/request (100.0%)');
    expect(svg).not.to.include('main<&>');
    // Width 520 minus 2×10 padding: 500 µs → 500 px, a (300 µs) → 300 px.
    expect(svg).to.include('width="500.00"');
    expect(svg).to.include('width="300.00"');
    const narrow = renderFlameGraph(root, { title: 't', width: 520, minUs: 150 });
    expect(narrow).to.include('width="300.00"');
    expect(narrow).not.to.include('(anonymous)');
  });
});
