// Shared plumbing of the gateway benchmarks: child processes that announce themselves with one
// JSON line on stdout, free ports, and polling.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { cpuSeconds, SIM_BIN } from '@matrixinfer/engine-sim/bench';

/** data-plane/ folder (children run with it as cwd so tsx and workspace imports resolve). */
export const DATA_PLANE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A child process started by a benchmark. */
export interface Child {
  proc: ChildProcess;
  /** First JSON line the child printed. */
  info: Record<string, unknown>;
  stop(): Promise<void>;
}

/** Runs `node --import tsx <script> ...args` and waits for its first JSON stdout line. */
export function startTsChild(script: string, args: string[], timeoutMs = 30_000): Promise<Child> {
  return startChild(process.execPath, ['--import', 'tsx', script, ...args], timeoutMs);
}

/** Spawns a command and waits for its first JSON stdout line. */
export function startChild(cmd: string, args: string[], timeoutMs = 30_000): Promise<Child> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { cwd: DATA_PLANE_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not announce itself in ${timeoutMs} ms`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`));
    });
    const onData = (c: Buffer): void => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      proc.removeAllListeners('exit');
      resolve({ proc, info: JSON.parse(buf.slice(0, nl)) as Record<string, unknown>, stop: () => stopProc(proc) });
    };
    proc.stdout!.on('data', onData);
  });
}

/** SIGTERM, then SIGKILL after 3 s; resolves when the process is gone. */
export function stopProc(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 3000).unref();
  });
}

/** Runs a child to completion and parses its last stdout line as JSON. */
export function runTsJson<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: DATA_PLANE_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.once('exit', (code) => {
      const lines = out.trim().split('\n');
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      resolve(JSON.parse(lines[lines.length - 1]) as T);
    });
  });
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `check` until true or the deadline passes. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Starts `mi-engine-sim` serving `model` with every modelled latency at zero (the upstream the
 * gateway benchmarks name); its `info.url` is where it listens.
 */
export async function startSimChild(model: string, extra: string[] = []): Promise<Child> {
  const args = [SIM_BIN, '--profile', 'cpu-small', '--served-model-name', model, '--port', '0',
    '--prefill-overhead-ms', '0', '--prefill-ms-per-token', '0', '--itl-ms', '0', '--time-scale', '1000', '--max-num-seqs', '1024',
    '--kv-blocks', '65536', '--max-model-len', '8192', ...extra];
  const proc = spawn(process.execPath, args, { cwd: DATA_PLANE_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('simulator did not start in 30 s')), 30_000);
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`simulator exited with ${code} before listening`));
    });
  });
  proc.stdout!.resume();
  return { proc, info: { url }, stop: () => stopProc(proc) };
}

/** What one load run measured (printed by gateway-loadgen.ts, returned by wrk-load.ts). */
export interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  targetCpuMs: number;
}

/** The benchmark's chat request body: 16 tokens forced, usage requested when streaming. */
export function chatRequestBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Say hello to the benchmark, in a sentence of moderate length please.' }],
    max_tokens: 16,
    ignore_eos: true,
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  });
}

/** CPU time (user+system, ms) process `pid` used so far (see cpuSeconds). */
export function cpuMs(pid: number): number {
  return cpuSeconds(pid) * 1000;
}
