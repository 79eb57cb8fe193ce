// `mi events [--stream S] [--subject FILTER] [--since DURATION|TIME] [--follow] [-o json]`:
// reads the event log. Without --stream it merges desired, observed and decisions by time.
import { Command } from 'commander';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { STREAMS, type StreamKey } from '@matrixinfer/events';
import { BadArgumentError } from '../../api/errors.js';
import { withNats } from '../connect.js';
import { formatEventJson, formatEventLine, subjectMatches, type ShownEvent } from '../event-lines.js';
import type { CliIO, GlobalOptions } from '../io.js';
import { parseOutputFormat } from '../output.js';
import { openStreamRead, type StreamRead } from '../stream-reader.js';
import { parseTimeArg } from '../time.js';

interface EventsOptions {
  stream?: string;
  subject?: string;
  since?: string;
  follow?: boolean;
  output: string;
}

const DEFAULT_STREAMS: StreamKey[] = ['desired', 'observed', 'decisions'];

/** Which streams to read, and the server-side filter for each (null: filter on the client). */
export function planStreams(stream: string | undefined, subject: string | undefined): { key: StreamKey; filter?: string; clientFilter?: string }[] {
  if (stream !== undefined && !(stream in STREAMS)) {
    throw new BadArgumentError(`unknown stream "${stream}" (use ${Object.keys(STREAMS).join(', ')})`);
  }
  const keys = stream !== undefined ? [stream as StreamKey] : DEFAULT_STREAMS;
  if (subject === undefined) return keys.map((key) => ({ key }));
  const second = subject.split('.')[1];
  // A filter naming one stream (mi.decisions.>) is given to the server; a wider one
  // (mi.*.model.>) is matched here, since a consumer filter must lie inside its stream.
  if (second !== undefined && second in STREAMS) {
    const key = second as StreamKey;
    if (stream !== undefined && stream !== key) throw new BadArgumentError(`subject ${subject} is not on stream ${stream}`);
    return [{ key, filter: subject }];
  }
  return keys.map((key) => ({ key, clientFilter: subject }));
}

/** The `events` command. */
export function eventsCommand(io: CliIO, globals: () => GlobalOptions): Command {
  return new Command('events')
    .description('read the event log (desired, observed and decisions merged by time unless --stream is given)')
    .option('--stream <name>', 'desired, observed, decisions or metrics')
    .option('--subject <filter>', "NATS subject filter, e.g. 'mi.decisions.infer.>'")
    .option('--since <when>', 'a duration (10m, 1h) or a time (14:02, 2026-11-27T14:02:00Z)')
    .option('-f, --follow', 'keep printing new events until Ctrl-C')
    .option('-o, --output <format>', 'text or json (one object per line)', 'text')
    .action(async (opts: EventsOptions) => {
      const format = opts.output === 'text' ? 'text' : parseOutputFormat(opts.output, ['json']);
      const plan = planStreams(opts.stream, opts.subject);
      const sinceMs = opts.since ? parseTimeArg(opts.since, io.nowMs()) : undefined;
      const show = (ev: ShownEvent) => io.out(format === 'json' ? formatEventJson(ev) : formatEventLine(ev));
      await withNats(globals(), io, async (nc) => {
        const js = jetstream(nc);
        const jsm = await jetstreamManager(nc);
        const reads: { read: StreamRead; clientFilter?: string }[] = [];
        try {
          for (const p of plan) reads.push({ read: await openStreamRead({ js, jsm, stream: STREAMS[p.key], filter: p.filter, sinceMs }), clientFilter: p.clientFilter });
          const keep = (clientFilter: string | undefined) => (ev: ShownEvent) => !clientFilter || subjectMatches(clientFilter, ev.subject);
          const all: ShownEvent[] = [];
          for (const r of reads) all.push(...(await r.read.backlog()).filter(keep(r.clientFilter)));
          all.sort((a, b) => a.storedMs - b.storedMs || a.seq - b.seq);
          all.forEach(show);
          if (!opts.follow) return;
          // Live: each stream's consumer simply continues after its backlog.
          const loops = reads.map((r) =>
            r.read.live((ev) => {
              if (keep(r.clientFilter)(ev)) show(ev);
            }),
          );
          await waitForStop(io.stop);
          await Promise.all(reads.map((r) => r.read.close()));
          await Promise.all(loops);
        } finally {
          await Promise.all(reads.map((r) => r.read.close()));
        }
      });
    });
}

/** Resolves on SIGINT, SIGTERM or when `stop` aborts. */
export function waitForStop(stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      stop?.removeEventListener('abort', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (stop?.aborted) done();
    else stop?.addEventListener('abort', done, { once: true });
  });
}
