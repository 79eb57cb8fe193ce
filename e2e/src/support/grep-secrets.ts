// Where a known secret value shows up after a run: every message of every JetStream stream
// (KV buckets included, headers too), every file under a directory, any text. The secrets test
// asserts on the hit list, so a hit names exactly where the value leaked.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/** The forms a value may take when stored: as is and base64 (Secret `data`). */
export function needleForms(value: string): string[] {
  return [value, Buffer.from(value).toString('base64')];
}

function holds(text: string, needles: string[]): boolean {
  return needles.some((n) => text.includes(n));
}

/** `stream/seq subject` of every stored message whose subject, headers or data hold a needle. */
export async function grepStreams(nc: NatsConnection, needles: string[]): Promise<{ stream: string; hits: string[]; messages: number }[]> {
  const jsm = await jetstreamManager(nc);
  const out: { stream: string; hits: string[]; messages: number }[] = [];
  for await (const si of jsm.streams.list()) {
    const stream = si.config.name;
    const hits: string[] = [];
    const { last_seq: last, messages } = si.state;
    if (messages > 0) {
      // One ephemeral pull consumer per stream: the whole stream in batches, no per-seq requests.
      const ci = await jsm.consumers.add(stream, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, inactive_threshold: 30_000_000_000 });
      const c = await jetstream(nc).consumers.get(stream, ci.name);
      let seen = 0;
      while (seen < messages) {
        // Ask for no more than is left: a fetch waits out `expires` for a batch it cannot fill.
        const batch = await c.fetch({ max_messages: Math.min(500, messages - seen), expires: 5000 });
        let got = 0;
        for await (const m of batch) {
          got++;
          seen++;
          const text = `${m.subject}\n${m.headers?.toString() ?? ''}\n${m.string()}`;
          if (holds(text, needles)) hits.push(`${stream}/${m.seq} ${m.subject}`);
          if (m.seq >= last) seen = messages;
        }
        if (got === 0) break;
      }
      await jsm.consumers.delete(stream, ci.name).catch(() => {});
    }
    out.push({ stream, hits, messages });
  }
  return out;
}

/** Paths (relative to `dir`) of files under `dir`, minus `skip` subdirectories, that hold a needle. */
export function grepFiles(dir: string, needles: string[], skip: string[] = []): { hits: string[]; files: number } {
  const hits: string[] = [];
  let files = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (skip.includes(relative(dir, p))) continue;
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        files++;
        if (holds(readFileSync(p).toString('latin1'), needles)) hits.push(relative(dir, p));
      }
    }
  };
  walk(dir);
  return { hits, files };
}
