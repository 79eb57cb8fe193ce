// Closed-loop load from wrk (Debian package `wrk`, written in C) instead of the Node.js load
// generator. On two cores the generator competes with what it measures: ours costs about as
// much CPU per request as the upstream itself, which caps every proxied target; wrk costs a
// fraction of that. wrk checks status codes only (not the body), and cannot hold a fixed rate,
// so the open-loop rows keep the Node.js generator.
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatRequestBody, cpuMs, type LoadResult } from './gateway-bench-util.js';

/** Throws with the exact install step when wrk is missing. */
export function requireWrk(): void {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (err) {
    // wrk --version exits 1 after printing its version: only a spawn failure means it is missing.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('--loadgen wrk needs wrk: apt-get install -y wrk', { cause: err });
  }
}

/** Writes the wrk Lua script that POSTs the benchmark's chat request; returns its path. */
export function writeWrkScript(dir: string, model: string, stream: boolean): string {
  const body = chatRequestBody(model, stream);
  const path = join(dir, `wrk-${stream ? 'stream' : 'json'}.lua`);
  writeFileSync(path, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[${body}]==]\n`);
  return path;
}

/** "2.83ms" / "812.00us" / "1.20s" in milliseconds. */
export function wrkDurationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return NaN;
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as 'us' | 'ms' | 's' | 'm'];
  return Number(m[1]) * scale;
}

/** Parses `wrk --latency` output. */
export function parseWrk(out: string): Omit<LoadResult, 'targetCpuMs'> {
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
  const pct = (p: number): number => wrkDurationMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  const requests = num(/(\d+) requests in/);
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = (Number.isNaN(non2xx) ? 0 : non2xx) + (sock ? sock.slice(1).reduce((a, x) => a + Number(x), 0) : 0);
  return {
    requests: requests - (Number.isNaN(non2xx) ? 0 : non2xx),
    errors,
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    meanMs: wrkDurationMs(/Latency\s+(\S+)/.exec(out)?.[1] ?? ''),
  };
}

function runWrkOnce(url: string, script: string, concurrency: number, seconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = ['-t1', `-c${concurrency}`, `-d${seconds}s`, '--latency', '-s', script, `${url}/v1/chat/completions`];
    execFile('wrk', args, { timeout: (seconds + 30) * 1000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

/**
 * Closed-loop wrk run: `warmupS` unrecorded, then `seconds` measured; CPU of `cpuPid` is taken
 * over the measured run only.
 */
export async function runWrk(url: string, script: string, concurrency: number, seconds: number, cpuPid: number, warmupS = 1): Promise<LoadResult> {
  if (warmupS > 0) await runWrkOnce(url, script, concurrency, warmupS);
  const cpu0 = cpuMs(cpuPid);
  const out = await runWrkOnce(url, script, concurrency, seconds);
  const targetCpuMs = cpuMs(cpuPid) - cpu0;
  return { ...parseWrk(out), targetCpuMs };
}
