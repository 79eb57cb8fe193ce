// The trace context each generation request arrived with, kept for tests and debugging: vLLM
// started with --otlp-traces-endpoint continues the trace of an incoming `traceparent` in its
// own spans but never echoes it in a response, so the simulator does not either; it keeps the
// last few it saw for `GET /sim/traces` (a simulator-only endpoint, like /sim/bootstrap).

/** One generation request's trace headers as received. */
export interface SeenTrace {
  requestId: string;
  traceparent: string;
  tracestate?: string;
}

/** Bounded log of the trace headers of recent requests (oldest dropped first). */
export class TraceLog {
  private readonly entries: SeenTrace[] = [];
  private readonly max: number;

  constructor(max = 256) {
    this.max = max;
  }

  /** Records a request's headers when it carries a traceparent (nothing otherwise). */
  record(headers: Readonly<Record<string, string | string[] | undefined>>): void {
    const tp = headers.traceparent;
    if (tp === undefined) return;
    const ts = headers.tracestate;
    const xrid = headers['x-request-id'];
    const e: SeenTrace = { requestId: typeof xrid === 'string' ? xrid : '', traceparent: Array.isArray(tp) ? tp.join(',') : tp };
    if (ts !== undefined) e.tracestate = Array.isArray(ts) ? ts.join(',') : ts;
    if (this.entries.length === this.max) this.entries.shift();
    this.entries.push(e);
  }

  /** The recorded entries, oldest first. */
  list(): SeenTrace[] {
    return [...this.entries];
  }
}
