// `mi top [--interval S] [--once] [-n NS | -A] [--decisions N]`: a live view of models,
// replicas, load and recent decisions, redrawn every interval. On a terminal each frame
// replaces the last; without one (a pipe, a log) frames are printed one after another.
import { Command, InvalidArgumentError, Option } from 'commander';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { DEFAULT_NAMESPACE, resolveNatsUrl } from '@matrixinfer/events';
import { createNatsResourceService } from '../../api/nats-backend.js';
import { withNats } from '../connect.js';
import type { CliIO, GlobalOptions } from '../io.js';
import { renderTopFrame } from '../top-frame.js';
import { readTopSnapshot } from '../top-read.js';

interface TopOptions {
  interval: number;
  once?: boolean;
  namespace: string;
  allNamespaces?: boolean;
  decisions: number;
}

/** Samples older than this are not shown as load (the collector scrapes every few seconds). */
const LOAD_WINDOW_MS = 15_000;
/** Moves the cursor home and clears the screen. */
const CLEAR = '\x1b[H\x1b[2J';

function positive(v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('not a positive number');
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('not a positive integer');
  return n;
}

/** Resolves after `ms`, or at once on SIGINT/SIGTERM or `stop`; true when stopped. */
function pause(ms: number, stop?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (stopped: boolean) => () => {
      clearTimeout(timer);
      process.off('SIGINT', onStop);
      process.off('SIGTERM', onStop);
      stop?.removeEventListener('abort', onStop);
      resolve(stopped);
    };
    const onStop = done(true);
    const timer = setTimeout(done(false), ms);
    process.once('SIGINT', onStop);
    process.once('SIGTERM', onStop);
    if (stop?.aborted) onStop();
    else stop?.addEventListener('abort', onStop, { once: true });
  });
}

/** The `top` command. */
export function topCommand(io: CliIO, globals: () => GlobalOptions): Command {
  return new Command('top')
    .description('live view of models, replicas (ready/desired), load (running, waiting, KV, in-flight, req/s) and recent decisions')
    .addOption(new Option('--interval <seconds>', 'seconds between frames').default(2).argParser(positive))
    .option('--once', 'print one frame and exit')
    .option('-n, --namespace <ns>', 'namespace', DEFAULT_NAMESPACE)
    .option('-A, --all-namespaces', 'every namespace')
    .addOption(new Option('--decisions <n>', 'recent decisions shown').default(10).argParser(positiveInt))
    .action(async (opts: TopOptions) => {
      const g = globals();
      await withNats(g, io, async (nc) => {
        const js = jetstream(nc);
        const jsm = await jetstreamManager(nc);
        const svc = await createNatsResourceService(nc, 'mi-cli');
        const namespace = opts.allNamespaces ? undefined : opts.namespace;
        const source = `${resolveNatsUrl(g.natsUrl, io.env)}${namespace === undefined ? '' : `  namespace ${namespace}`}`;
        for (;;) {
          const nowMs = io.nowMs();
          const snap = await readTopSnapshot({ js, jsm, svc, namespace, nowMs, windowMs: LOAD_WINDOW_MS, decisions: opts.decisions, source });
          const frame = renderTopFrame(snap, nowMs, { allNamespaces: namespace === undefined, decisions: opts.decisions });
          io.out(opts.once ? frame : io.isTTY ? `${CLEAR}${frame}` : `${frame}\n`);
          if (opts.once || (await pause(opts.interval * 1000, io.stop))) return;
        }
      });
    });
}
