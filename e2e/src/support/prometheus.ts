// A real Prometheus for e2e tests (the Debian package `prometheus`): a free loopback port, a
// temp config that scrapes every second, a temp TSDB, and file-based service discovery so a
// test can point it at the engine endpoints the running system reports. Stopped and removed
// by the test's hooks.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@matrixinfer/events/testing';
import type { ChildSet, RunningChild } from './children.js';
import { waitFor } from './poll.js';

/** Re-exported for the Prometheus tests, which import it from here. */
export { freePort };

/** The prometheus binary on PATH (or the Debian package's), or null when not installed. */
export function findPrometheus(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v prometheus || ls /usr/bin/prometheus'], { encoding: 'utf8' });
  const path = r.status === 0 ? r.stdout.trim().split('\n')[0] : '';
  return path === '' ? null : path;
}

export interface TestPrometheus {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  child: RunningChild;
  /** Replaces the scrape targets of `job` (default the first job; host:port list); Prometheus picks the file up within about a second. */
  setTargets(targets: string[], job?: string): void;
  /** SIGTERMs Prometheus and waits for it to exit (the temp dir stays until `remove`). */
  stop(): Promise<void>;
  /** Stops it if running and deletes its config and TSDB. */
  remove(): Promise<void>;
}

/** Starts Prometheus scraping each job (one or several) every second from file-discovered targets, evaluating `ruleFiles`; resolves once /-/ready answers. */
export async function startPrometheus(children: ChildSet, bin: string, job: string | string[], opts: { ruleFiles?: string[] } = {}): Promise<TestPrometheus> {
  const jobs = typeof job === 'string' ? [job] : job;
  if (jobs.length === 0) throw new RangeError('startPrometheus needs at least one job');
  const dir = mkdtempSync(join(tmpdir(), 'mi-e2e-prometheus-'));
  // The first job keeps the file name it always had.
  const targetsFile = (j: string) => join(dir, j === jobs[0] ? 'targets.json' : `targets-${j}.json`);
  const setTargets = (targets: string[], j: string = jobs[0]) => {
    if (!jobs.includes(j)) throw new RangeError(`unknown scrape job ${j} (jobs: ${jobs.join(', ')})`);
    const file = targetsFile(j);
    writeFileSync(`${file}.tmp`, JSON.stringify([{ targets, labels: { job: j } }]));
    renameSync(`${file}.tmp`, file); // atomic: Prometheus never reads half a file
  };
  for (const j of jobs) setTargets([], j);
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    ...(opts.ruleFiles?.length ? ['rule_files:', ...opts.ruleFiles.map((f) => `  - '${f}'`)] : []),
    'scrape_configs:',
    ...jobs.flatMap((j) => [`  - job_name: ${j}`, '    file_sd_configs:', `      - files: ['${targetsFile(j)}']`, '        refresh_interval: 1s']),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = children.spawn('prometheus', bin, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ]);
  const stop = () => children.stop(child, 5000);
  try {
    await waitFor(
      'prometheus /-/ready',
      async () => {
        if (!child.running()) throw new Error(`prometheus exited: ${child.output()}`);
        return (await fetch(`${url}/-/ready`)).ok;
      },
      { timeoutMs: 30_000, everyMs: 200, describe: () => child.output() },
    );
  } catch (err) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    child,
    setTargets,
    stop,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
