import { expect } from 'chai';
import { parseWrk, wrkDurationMs } from './wrk-load.js';

const OUT = `Running 4s test @ http://127.0.0.1:43309/v1/chat/completions
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.62ms    2.63ms  53.83ms   87.97%
    Req/Sec     7.34k   697.60     7.98k    70.00%
  Latency Distribution
     50%  530.00us
     75%  614.00us
     90%    0.95ms
     99%    2.64s
  29200 requests in 4.00s, 28.70MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:   7300.07
Transfer/sec:     28.69MB
`;

describe('wrk output', () => {
  it('reads durations in every unit wrk prints', () => {
    expect(wrkDurationMs('530.00us')).to.be.closeTo(0.53, 1e-9);
    expect(wrkDurationMs('0.95ms')).to.equal(0.95);
    expect(wrkDurationMs('2.64s')).to.equal(2640);
    expect(wrkDurationMs('1.50m')).to.equal(90_000);
    expect(Number.isNaN(wrkDurationMs('fast'))).to.equal(true);
  });

  it('parses throughput, percentiles and errors (non-2xx are not counted as served)', () => {
    const r = parseWrk(OUT);
    expect(r.rps).to.equal(7300.07);
    expect(r.requests).to.equal(29193);
    expect(r.errors).to.equal(10);
    expect(r.p50Ms).to.be.closeTo(0.53, 1e-9);
    expect(r.p90Ms).to.equal(0.95);
    expect(r.p99Ms).to.equal(2640);
    expect(r.meanMs).to.equal(4.62);
  });

  it('counts no errors when wrk reports none', () => {
    const clean = OUT.replace(/ {2}Socket errors.*\n/, '').replace(/ {2}Non-2xx.*\n/, '');
    const r = parseWrk(clean);
    expect(r.errors).to.equal(0);
    expect(r.requests).to.equal(29200);
  });
});
