import { expect } from 'chai';
import winston from 'winston';
import { resolveOtlpTracesUrl } from './endpoint.js';
import { TracingConfigError } from './errors.js';
import { SpanExporter, type ExportCounters } from './exporter.js';
import { IdSource } from './ids.js';
import { exportBody, requestSpansJson, spanCount, unixNanos } from './otlp-json.js';
import { GatewayTracer, RequestTrace } from './tracer.js';

const silent = winston.createLogger({ silent: true });

function counting(): ExportCounters & { ok: number; queueFull: number; failed: number } {
  const c = { ok: 0, queueFull: 0, failed: 0, exported: (n: number) => void (c.ok += n), dropped: (r: string, n: number) => void (r === 'queue_full' ? (c.queueFull += n) : (c.failed += n)) };
  return c;
}

/** Items of the exporter tests: a number, encoded as one span each. */
const numbered = { encode: (i: number) => `{"n":${i}}`, spans: () => 1 };

describe('tracing: OTLP endpoint rules', () => {
  const cases = [
    { name: 'nothing configured: off', flag: undefined, env: {}, want: undefined },
    { name: 'the flag is used as it is', flag: 'http://c:4318/custom', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318' }, want: 'http://c:4318/custom' },
    { name: 'the traces variable is used as it is', flag: undefined, env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' }, want: 'http://c:4318/v1/traces' },
    { name: 'the base variable gets v1/traces', flag: undefined, env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, want: 'http://c:4318/v1/traces' },
    { name: 'the base variable with a path and a slash', flag: undefined, env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c/otlp/' }, want: 'https://c/otlp/v1/traces' },
    { name: 'an empty flag falls back to the environment', flag: ' ', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, want: 'http://c:4318/v1/traces' },
  ];
  for (const tc of cases) it(tc.name, () => expect(resolveOtlpTracesUrl(tc.flag, tc.env)).to.equal(tc.want));
  for (const bad of ['not a url', 'ftp://c/v1/traces']) {
    it(`rejects ${bad} with MI_ERR_TRACING_CONFIG`, () => {
      expect(() => resolveOtlpTracesUrl(bad, {})).to.throw(TracingConfigError).with.property('code', 'MI_ERR_TRACING_CONFIG');
    });
  }
});

describe('tracing: OTLP/HTTP JSON encoding', () => {
  function finished(opts: { parent?: string; schedule?: boolean; upstream?: boolean; firstByte?: boolean; status?: number } = {}): RequestTrace {
    const t = new RequestTrace('a'.repeat(32), '1'.repeat(16), opts.parent, '2'.repeat(16), 1, 10);
    if (opts.schedule !== false) {
      t.scheduleStartMs = 11;
      t.scheduleEndMs = 11.5;
    }
    if (opts.upstream !== false) t.upstreamStartMs = 12;
    t.finish(20, opts.firstByte === false ? -1 : 15.25, opts.status ?? 200, 'm"q', 'route/0/srv', 'ep-1', 'req-1', 1, 7, 9);
    return t;
  }
  type Span = { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; startTimeUnixNano: string; endTimeUnixNano: string; attributes: Array<{ key: string; value: Record<string, unknown> }>; events?: Array<{ name: string; timeUnixNano: string }>; status?: { code: number } };
  const decode = (t: RequestTrace): Span[] => {
    const body = JSON.parse(exportBody({ 'service.name': 'mi-gateway' }, { name: 'x' }, requestSpansJson(t, 1000, '3'.repeat(16)))) as { resourceSpans: Array<{ resource: { attributes: unknown[] }; scopeSpans: Array<{ scope: unknown; spans: Span[] }> }> };
    expect(body.resourceSpans[0].resource.attributes).to.deep.equal([{ key: 'service.name', value: { stringValue: 'mi-gateway' } }]);
    expect(body.resourceSpans[0].scopeSpans[0].scope).to.deep.equal({ name: 'x' });
    return body.resourceSpans[0].scopeSpans[0].spans;
  };

  it('route, schedule and upstream: hex ids, parent links, unix nanos and int64 attributes as strings, escaped strings', () => {
    const [route, schedule, upstream] = decode(finished({ parent: 'b'.repeat(16) }));
    expect(route).to.include({ traceId: 'a'.repeat(32), spanId: '1'.repeat(16), parentSpanId: 'b'.repeat(16), name: 'route', kind: 2, startTimeUnixNano: '1010000000', endTimeUnixNano: '1020000000' });
    expect(route.attributes).to.deep.include({ key: 'mi.model', value: { stringValue: 'm"q' } });
    expect(route.attributes).to.deep.include({ key: 'http.response.status_code', value: { intValue: '200' } });
    expect(route.attributes).to.deep.include({ key: 'gen_ai.usage.output_tokens', value: { intValue: '9' } });
    // UNSET is the default: not written.
    expect(route.status).to.equal(undefined);
    expect(schedule.attributes).to.deep.equal([{ key: 'mi.endpoint', value: { stringValue: 'ep-1' } }]);
    expect(upstream.attributes.map((a) => a.key)).to.deep.equal(['mi.endpoint', 'http.response.status_code', 'mi.attempts']);
    expect(schedule).to.include({ spanId: '3'.repeat(16), parentSpanId: '1'.repeat(16), name: 'schedule', kind: 1, startTimeUnixNano: '1011000000', endTimeUnixNano: '1011500000' });
    expect(upstream).to.include({ spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16), name: 'upstream', kind: 3, startTimeUnixNano: '1012000000' });
    expect(upstream.events).to.deep.equal([{ name: 'first_byte', timeUnixNano: '1015250000' }]);
    expect(unixNanos(1_765_000_000_123.457)).to.equal('1765000000123457000');
  });

  it('a root span has no parentSpanId; a request that reached no engine is only its route span, an error on 5xx', () => {
    const t = finished({ schedule: false, upstream: false, status: 503 });
    const spans = decode(t);
    expect(spans.map((s) => s.name)).to.deep.equal(['route']);
    expect('parentSpanId' in spans[0]).to.equal(false);
    expect(spans[0].status).to.deep.equal({ code: 2 });
    expect(spanCount(t)).to.equal(1);
    expect(spanCount(finished())).to.equal(3);
    expect(decode(finished({ firstByte: false }))[2].events).to.equal(undefined);
  });
});

describe('tracing: ids', () => {
  it('draws hex ids from the byte source and skips all-zero draws', () => {
    let calls = 0;
    const ids = new IdSource((buf) => {
      calls++;
      buf.fill(1);
      if (calls === 1) buf.fill(0, 0, 16);
    });
    expect(ids.traceId()).to.equal('01'.repeat(16));
    expect(ids.spanId()).to.equal('01'.repeat(8));
  });
});

describe('tracing: batching exporter', () => {
  it('drops what does not fit the queue, counted; exports in batches of maxBatch', async () => {
    const c = counting();
    const bodies: Array<{ resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> }> = [];
    const ex = new SpanExporter<number>({
      url: 'http://c/v1/traces', resource: {}, scope: { name: 't' }, counters: c, logger: silent, maxQueue: 5, maxBatch: 2, periodMs: 60_000, ...numbered,
      post: async (_u, body) => {
        bodies.push(JSON.parse(body) as (typeof bodies)[number]);
        return 200;
      },
    });
    for (let i = 1; i <= 7; i++) ex.add(i);
    expect(ex.queued).to.equal(5);
    expect(c.queueFull).to.equal(2);
    await ex.close();
    expect(bodies.map((b) => b.resourceSpans[0].scopeSpans[0].spans)).to.deep.equal([[{ n: 1 }, { n: 2 }], [{ n: 3 }, { n: 4 }], [{ n: 5 }]]);
    expect(c.ok).to.equal(5);
  });

  it('a failed export drops its batch (counted) and the queue goes on', async () => {
    const c = counting();
    let n = 0;
    const ex = new SpanExporter<number>({
      url: 'http://c/v1/traces', resource: {}, scope: { name: 't' }, counters: c, logger: silent, maxBatch: 1, periodMs: 60_000, ...numbered,
      post: async () => {
        if (++n === 1) throw new Error('connection refused');
        return n === 2 ? 500 : 200;
      },
    });
    for (let i = 1; i <= 3; i++) ex.add(i);
    await ex.close();
    expect(c.failed).to.equal(2);
    expect(c.ok).to.equal(1);
  });

  for (const bad of [{ maxQueue: 0 }, { maxBatch: 1.5 }, { periodMs: -1 }]) {
    it(`rejects ${JSON.stringify(bad)} at construction`, () => {
      expect(() => new SpanExporter<number>({ url: 'http://c', resource: {}, scope: { name: 't' }, counters: counting(), logger: silent, ...numbered, ...bad })).to.throw(TracingConfigError);
    });
  }
});

describe('tracing: request traces', () => {
  const fixedIds = (): IdSource => new IdSource((buf) => buf.fill(0xab));

  it('continues a sampled caller, starts fresh without one, and skips an unsampled caller; end() queues the trace', () => {
    const queued: RequestTrace[] = [];
    const t = new GatewayTracer({ ids: fixedIds(), exporter: { add: (x: RequestTrace) => void queued.push(x) } });
    const cont = t.begin(`00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`, 5)!;
    expect(cont.traceId).to.equal('1'.repeat(32));
    expect(cont.parentSpanId).to.equal('2'.repeat(16));
    expect(cont.fresh).to.equal(false);
    expect(cont.startMs).to.equal(5);
    expect(cont.upstreamTraceparent()).to.equal(`00-${'1'.repeat(32)}-${cont.upstreamSpanId}-01`);
    const fresh = t.begin('garbage', 0)!;
    expect(fresh.fresh).to.equal(true);
    expect(fresh.parentSpanId).to.equal(undefined);
    expect(fresh.routeTraceparent()).to.equal(`00-${'ab'.repeat(16)}-${'ab'.repeat(8)}-01`);
    expect(t.begin(`00-${'1'.repeat(32)}-${'2'.repeat(16)}-00`, 0)).to.equal(null);
    t.end(cont);
    expect(queued).to.deep.equal([cont]);
  });

  it('ratio sampling of new traces: a sampled caller is always followed, others start a trace at the rate; a rate outside [0,1] is refused', () => {
    const draws = [0.1, 0.9, 0.3];
    const t = new GatewayTracer({ ids: fixedIds(), exporter: { add: () => undefined }, sampleRate: 0.5, random: () => draws.shift()! });
    expect(t.begin(undefined, 0)).to.not.equal(null);
    expect(t.begin(undefined, 0)).to.equal(null);
    expect(t.begin(`00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`, 0)).to.not.equal(null);
    expect(draws).to.deep.equal([0.3]);
    expect(() => new GatewayTracer({ ids: fixedIds(), exporter: { add: () => undefined }, sampleRate: 2 })).to.throw(TracingConfigError);
  });
});
