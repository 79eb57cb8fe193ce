import { expect } from 'chai';
import winston from 'winston';
import { resolveOtlpTracesUrl } from './endpoint.js';
import { TracingConfigError } from './errors.js';
import { SpanExporter, type ExportCounters } from './exporter.js';
import { IdSource } from './ids.js';
import { encodeTraces, unixNanos, type SpanRecord } from './otlp-json.js';
import { GatewayTracer } from './tracer.js';

const silent = winston.createLogger({ silent: true });

function span(i: number): SpanRecord {
  return { traceId: 'a'.repeat(32), spanId: i.toString(16).padStart(16, '0'), name: 'route', kind: 2, startMs: 1000, endMs: 1000.5, attributes: { n: i }, status: 0 };
}

function counting(): ExportCounters & { ok: number; queueFull: number; failed: number } {
  const c = { ok: 0, queueFull: 0, failed: 0, exported: (n: number) => void (c.ok += n), dropped: (r: string, n: number) => void (r === 'queue_full' ? (c.queueFull += n) : (c.failed += n)) };
  return c;
}

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
  it('hex ids, unix nanos and int64 attributes as strings, resourceSpans/scopeSpans/spans, no parent on a root', () => {
    const body = encodeTraces({ 'service.name': 'mi-gateway' }, { name: 'x' }, [{ ...span(1), parentSpanId: 'b'.repeat(16), attributes: { s: 'v', i: 3, d: 0.5, b: true, u: undefined }, events: [{ name: 'first_byte', timeMs: 1000.25 }] }, span(2)]) as {
      resourceSpans: Array<{ resource: { attributes: unknown[] }; scopeSpans: Array<{ scope: unknown; spans: Array<Record<string, unknown>> }> }>;
    };
    const [a, b] = body.resourceSpans[0].scopeSpans[0].spans;
    expect(body.resourceSpans[0].resource.attributes).to.deep.equal([{ key: 'service.name', value: { stringValue: 'mi-gateway' } }]);
    expect(a.traceId).to.equal('a'.repeat(32));
    expect(a.parentSpanId).to.equal('b'.repeat(16));
    expect(a.startTimeUnixNano).to.equal('1000000000');
    expect(a.endTimeUnixNano).to.equal('1000500000');
    expect(a.events).to.deep.equal([{ name: 'first_byte', timeUnixNano: '1000250000' }]);
    expect(a.attributes).to.deep.equal([
      { key: 's', value: { stringValue: 'v' } },
      { key: 'i', value: { intValue: '3' } },
      { key: 'd', value: { doubleValue: 0.5 } },
      { key: 'b', value: { boolValue: true } },
    ]);
    expect('parentSpanId' in b).to.equal(false);
    expect(unixNanos(1_765_000_000_123.457)).to.equal('1765000000123457000');
  });
});

describe('tracing: ids', () => {
  it('draws hex ids from the byte source and skips all-zero draws', () => {
    let calls = 0;
    const ids = new IdSource((buf) => {
      calls++;
      // First fill: zeros for the first trace id, then ones.
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
    const ex = new SpanExporter({
      url: 'http://c/v1/traces', resource: {}, scope: { name: 't' }, counters: c, logger: silent, maxQueue: 5, maxBatch: 2, periodMs: 60_000,
      post: async (_u, body) => {
        bodies.push(JSON.parse(body) as (typeof bodies)[number]);
        return 200;
      },
    });
    ex.add([span(1), span(2), span(3)]);
    ex.add([span(4), span(5), span(6), span(7)]);
    expect(ex.queued).to.equal(5);
    expect(c.queueFull).to.equal(2);
    await ex.close();
    expect(bodies.map((b) => b.resourceSpans[0].scopeSpans[0].spans.length)).to.deep.equal([2, 2, 1]);
    expect(c.ok).to.equal(5);
  });

  it('a failed export drops its batch (counted) and the queue goes on', async () => {
    const c = counting();
    let n = 0;
    const ex = new SpanExporter({
      url: 'http://c/v1/traces', resource: {}, scope: { name: 't' }, counters: c, logger: silent, maxBatch: 1, periodMs: 60_000,
      post: async () => {
        if (++n === 1) throw new Error('connection refused');
        return n === 2 ? 500 : 200;
      },
    });
    ex.add([span(1), span(2), span(3)]);
    await ex.close();
    expect(c.failed).to.equal(2);
    expect(c.ok).to.equal(1);
  });

  for (const bad of [{ maxQueue: 0 }, { maxBatch: 1.5 }, { periodMs: -1 }]) {
    it(`rejects ${JSON.stringify(bad)} at construction`, () => {
      expect(() => new SpanExporter({ url: 'http://c', resource: {}, scope: { name: 't' }, counters: counting(), logger: silent, ...bad })).to.throw(TracingConfigError);
    });
  }
});

describe('tracing: request traces', () => {
  const fixedIds = (): IdSource => new IdSource((buf) => buf.fill(0xab));
  const noExport = { add: () => undefined } as unknown as SpanExporter;

  it('continues a sampled caller, starts fresh without one, and skips an unsampled caller', () => {
    const t = new GatewayTracer({ ids: fixedIds(), exporter: noExport, timeOriginMs: 0 });
    const cont = t.begin(`00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`)!;
    expect(cont.traceId).to.equal('1'.repeat(32));
    expect(cont.parentSpanId).to.equal('2'.repeat(16));
    expect(cont.fresh).to.equal(false);
    expect(cont.upstreamTraceparent()).to.equal(`00-${'1'.repeat(32)}-${cont.upstreamSpanId}-01`);
    const fresh = t.begin('garbage')!;
    expect(fresh.fresh).to.equal(true);
    expect(fresh.parentSpanId).to.equal(undefined);
    expect(fresh.routeTraceparent()).to.equal(`00-${'ab'.repeat(16)}-${'ab'.repeat(8)}-01`);
    expect(t.begin(`00-${'1'.repeat(32)}-${'2'.repeat(16)}-00`)).to.equal(null);
  });

  it('a request that never reached an engine yields only the route span, marked as an error on 5xx', () => {
    const got: SpanRecord[][] = [];
    const t = new GatewayTracer({ ids: fixedIds(), exporter: { add: (s: SpanRecord[]) => got.push(s) } as unknown as SpanExporter, timeOriginMs: 1_000 });
    const tr = t.begin(undefined)!;
    t.end(tr, { startMs: 1, endMs: 2, firstByteMs: -1, status: 503, model: 'm', requestId: 'r', attempts: 0, inputTokens: 0, outputTokens: 0 });
    expect(got[0].map((s) => s.name)).to.deep.equal(['route']);
    expect(got[0][0].status).to.equal(2);
    expect(got[0][0].startMs).to.equal(1_001);
  });
});
