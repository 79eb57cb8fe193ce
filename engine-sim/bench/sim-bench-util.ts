// Shared plumbing of the simulator benchmarks (and of data-plane's gateway benchmarks, as
// `@matrixinfer/engine-sim/bench`): start `mi-engine-sim` as a child process with zero modelled
// latency, read a process's CPU time from /proc, read a `--name value` flag.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Path of this tree's `mi-engine-sim` bin (a .js shim; run it with node). */
export const SIM_BIN = fileURLToPath(new URL('../bin/mi-engine-sim.js', import.meta.url));

/** Simulator flags for a throughput run: every modelled latency 0, room for any concurrency. */
export const ZERO_LATENCY_ARGS = ['--profile', 'cpu-small', '--prefill-overhead-ms', '0', '--prefill-ms-per-token', '0',
  '--itl-ms', '0', '--time-scale', '1000', '--max-num-seqs', '1024', '--kv-blocks', '65536', '--max-model-len', '8192'];

/** A simulator child process. */
export interface SimChild {
  url: string;
  pid: number;
  /** SIGTERM and wait for the exit (a --cpu-prof child writes its profile then). */
  stop(): Promise<void>;
}

/** Starts the simulator bin (`bin`, default this tree's) on a free port with `args`; `nodeArgs` (e.g. --cpu-prof) go to node. */
export async function startSimChild(args: readonly string[], nodeArgs: readonly string[] = [], bin = SIM_BIN): Promise<SimChild> {
  const child = spawn(process.execPath, [...nodeArgs, bin, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then(() => reject(new Error('simulator exited before listening')));
  });
  return {
    url,
    pid: child.pid ?? -1,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU seconds (user + system) the process `pid` has used so far (Linux /proc, 100 Hz ticks); NaN if gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Busy and total jiffies of the whole machine so far (all cores, /proc/stat); busy = total - idle - iowait. */
export function machineJiffies(): { busy: number; total: number; cores: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const f = lines[0].trim().split(/\s+/).slice(1, 9).map(Number); // user .. steal (guest is inside user)
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total, cores: lines.filter((l) => /^cpu\d/.test(l)).length };
}

/** The 1, 5 and 15 minute load averages as printed by /proc/loadavg. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** Value of `--name V` on the command line, or `def`. */
export function argValue(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
