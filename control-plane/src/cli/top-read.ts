// Reads one `mi top` snapshot from NATS: Models with status (the resource service), the engine
// and gateway samples of the last `windowMs` from MI_METRICS (latest per endpoint, per gateway
// and model), and the last decisions of MI_DECISIONS by direct get from the stream's end.
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { STREAMS, decodeSample, parseSubject, replay, type EngineSample, type GatewaySample } from '@matrixinfer/events';
import type { ResourceService } from '../api/service.js';
import { envelopeOf } from './stream-reader.js';
import type { NamespacedEngineSample, TopSnapshot } from './top-frame.js';
import type { ShownEvent } from './event-lines.js';

export interface TopReadOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  svc: ResourceService;
  /** Namespace of the Models and samples shown; undefined: every namespace. */
  namespace?: string;
  nowMs: number;
  /** Samples older than this are not load any more. */
  windowMs: number;
  decisions: number;
  source: string;
}

/** One snapshot for renderTopFrame. */
export async function readTopSnapshot(o: TopReadOptions): Promise<TopSnapshot> {
  const models = await o.svc.list('Model', o.namespace);
  const since = o.nowMs - o.windowMs;
  const engines = new Map<string, NamespacedEngineSample>();
  const gateways = new Map<string, GatewaySample & { namespace: string }>();
  await replay<null>({
    js: o.js,
    jsm: o.jsm,
    stream: STREAMS.metrics,
    from: { time: since },
    skipInvalid: true,
    initial: null,
    fold: (st, ev) => {
      const p = parseSubject(ev.subject);
      if (p === null || (o.namespace !== undefined && p.namespace !== o.namespace)) return st;
      if (p.category === 'engine') {
        const s = decodeSample<EngineSample>(JSON.stringify(ev.envelope));
        if (s !== null && s.timeMs >= since) engines.set(`${p.namespace}/${s.endpoint}`, { ...s, namespace: p.namespace });
      } else if (p.category === 'gateway') {
        const s = decodeSample<GatewaySample>(JSON.stringify(ev.envelope));
        if (s !== null && s.timeMs >= since) gateways.set(`${p.namespace}/${s.gateway}/${s.model}`, { ...s, namespace: p.namespace });
      }
      return st;
    },
  });
  return { models, engines: [...engines.values()], gateways: [...gateways.values()], decisions: await lastDecisions(o), source: o.source };
}

// The last `n` decisions, oldest first: direct gets from the last sequence down (a message the
// age limit removed, or one of another namespace, is skipped; at most 10 n gets).
async function lastDecisions(o: TopReadOptions): Promise<ShownEvent[]> {
  const info = await o.jsm.streams.info(STREAMS.decisions);
  const out: ShownEvent[] = [];
  for (let seq = info.state.last_seq, tries = 0; seq >= info.state.first_seq && seq > 0 && out.length < o.decisions && tries < o.decisions * 10; seq--, tries++) {
    const m = await o.jsm.streams.getMessage(STREAMS.decisions, { seq }).catch(() => null);
    if (m === null) continue;
    if (o.namespace !== undefined && parseSubject(m.subject)?.namespace !== o.namespace) continue;
    const storedMs = m.timestamp ? Date.parse(m.timestamp) : o.nowMs;
    out.push({ stream: STREAMS.decisions, seq: m.seq, subject: m.subject, storedMs, envelope: envelopeOf(m, storedMs) });
  }
  return out.reverse();
}
