// The `mi` CLI as a person runs it: a child process (the package's bin), against the test NATS.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the repository (the e2e package lives one level below it). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The bin shim behind `node_modules/.bin/mi`. */
export const MI_BIN = join(REPO_ROOT, 'control-plane', 'bin', 'mi.js');

export interface MiResult {
  code: number | null;
  /** True when it was killed for running past its timeout. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** Options of one `mi` run; `env` adds variables (e.g. MI_DATA_DIR of a secured `mi up`, whose admin credentials `mi` then uses). */
export interface MiRunOptions {
  stdin?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** Runs `mi <args>` with NATS_URL set to `natsUrl`; kills it after `timeoutMs` (the result then has code null). */
export function runMi(natsUrl: string, args: string[], opts: MiRunOptions = {}): Promise<MiResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [MI_BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NATS_URL: natsUrl, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, timedOut, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Runs `mi` and throws with its output unless it exits 0; returns stdout. */
export async function miOk(natsUrl: string, args: string[], opts: MiRunOptions = {}): Promise<string> {
  const r = await runMi(natsUrl, args, opts);
  if (r.code !== 0) throw new Error(`mi ${args.join(' ')} ${r.timedOut ? `did not exit within ${opts.timeoutMs ?? 30_000} ms (killed)` : `exited ${r.code}`}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

/** MatrixInfer's own examples (../shared/compat/matrixinfer/examples), beside the repository. */
export const COMPAT_EXAMPLES = join(REPO_ROOT, '..', 'shared', 'compat', 'matrixinfer', 'examples');

/** Inside a describe: true when the corpus is missing, after registering one skipped test that says so. */
export function skipWithoutCompatCorpus(dir: string = COMPAT_EXAMPLES): boolean {
  if (existsSync(dir)) return false;
  it('needs ../shared/compat/matrixinfer/examples', function () {
    this.skip(); // the compatibility corpus lives beside the repository, not in it
  });
  return true;
}
