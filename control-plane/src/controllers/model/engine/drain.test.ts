import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainPreStop, drainProgram, TERMINATION_GRACE_SECONDS, DRAIN_SECONDS } from './drain.js';
import { VLLM_DRAIN_METRICS } from './vllm.js';

function runPython(program: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = execFile('python3', ['-c', program], { env: { ...process.env, PORT: String(port) }, timeout: 60_000 }, (err) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') reject(err);
      else resolve(child.exitCode ?? 0);
    });
  });
}

function hasPython(): Promise<boolean> {
  return new Promise((resolve) => execFile('python3', ['--version'], (err) => resolve(!err)));
}

describe('engine drain (preStop)', function () {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('the grace covers the whole drain', () => {
    expect(TERMINATION_GRACE_SECONDS).to.be.greaterThan(DRAIN_SECONDS);
    expect(drainPreStop(VLLM_DRAIN_METRICS).exec.command.slice(0, 2)).to.deep.equal(['python3', '-c']);
  });

  it('polls /metrics until running + waiting is 0 across every label set', async function () {
    if (!(await hasPython())) this.skip(); // the preStop runs in engine images, which have python3; this machine may not
    let polls = 0;
    server = createServer((req, res) => {
      polls++;
      const busy = polls <= 2 ? 1 : 0;
      res.end(
        [
          '# HELP vllm:num_requests_running running',
          `vllm:num_requests_running{engine="0",model_name="m"} ${busy}.0`,
          'vllm:num_requests_running{engine="1",model_name="m"} 0.0',
          `vllm:num_requests_waiting{engine="0",model_name="m"} ${polls === 1 ? 3 : 0}`,
          'vllm:kv_cache_usage_perc{engine="0"} 0.5',
        ].join('\n'),
      );
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const code = await runPython(drainProgram(VLLM_DRAIN_METRICS, 60, 0), (server.address() as AddressInfo).port);
    expect(code).to.equal(0);
    expect(polls).to.equal(3);
  });

  it('stops waiting when the engine no longer answers', async function () {
    if (!(await hasPython())) this.skip(); // as above
    server = createServer();
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    expect(await runPython(drainProgram(VLLM_DRAIN_METRICS, 60, 0), port)).to.equal(0);
  });
});
