// The short form of the stream-load benchmark inside `npm test`: 300 streams held 4 s through
// one gateway (MI_LOAD_CONNECTIONS / MI_LOAD_DURATION_S change it; the full run is
// `npm run test:load -w data-plane`). Asserts no error and a generous memory bound only.
import { expect } from 'chai';
import { formatStreamLoad, runStreamLoad } from './stream-load.js';

const connections = Number(process.env.MI_LOAD_CONNECTIONS ?? 300);
const durationMs = Number(process.env.MI_LOAD_DURATION_S ?? 4) * 1000;

describe('stream load (short form): concurrent streams held through one gateway', function () {
  this.timeout(120_000 + 2 * durationMs);

  it(`${connections} streams for ${durationMs / 1000} s: every one completes, memory per connection bounded`, async () => {
    const r = await runStreamLoad({ connections, durationMs });
    const text = formatStreamLoad(r);
    if (process.env.MI_LOAD_REPORT) console.log(text);
    expect(r.errorCount, text).to.equal(0);
    expect(r.completed, text).to.equal(connections);
    // Measured about 16 KiB of heap and 40 KiB of RSS per stream; 10x that still catches a leak of buffers per stream.
    expect(r.heapPerConnectionBytes, text).to.be.below(160 * 1024);
    expect(r.rssPerConnectionBytes, text).to.be.below(1024 * 1024);
  });
});
