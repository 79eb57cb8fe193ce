// Test helpers for the CLI: an in-memory CliIO and a child-process runner.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliIO } from './io.js';

/** Captured output of an in-process run. */
export interface CapturedIO {
  io: CliIO;
  out: string[];
  err: string[];
}

/** A CliIO that records what is written; stdin gives `stdinText`. */
export function captureIO(opts: { stdinText?: string; env?: Record<string, string | undefined>; nowMs?: number; stop?: AbortSignal } = {}): CapturedIO {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (t) => void out.push(...t.replace(/\n$/, '').split('\n')),
      err: (t) => void err.push(...t.replace(/\n$/, '').split('\n')),
      stdin: Readable.from([opts.stdinText ?? '']),
      env: opts.env ?? {},
      nowMs: () => opts.nowMs ?? Date.now(),
      stop: opts.stop,
    },
  };
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const MI = join(REPO_ROOT, 'control-plane', 'src', 'cli', 'mi.ts');

/** Result of running `mi` as a child process. */
export interface MiRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx mi.ts ...args` with optional stdin; kills it after `timeoutMs`. */
export function runMiProcess(args: string[], opts: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<MiRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NATS_URL: '', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}
