// Open-loop streaming load through a gateway: requests start at a fixed rate whatever the
// answers do (a slow replica cannot slow the offered load down), and each one is recorded with
// what a client can tell: did the stream start, did it end whole, how long did it take.

/** One streamed request as its client saw it. */
export interface StreamResult {
  startMs: number;
  durationMs: number;
  /** HTTP status; 0 when no status line arrived (network error). */
  status: number;
  /** At least one content event arrived. */
  started: boolean;
  /** Ended with `data: [DONE]` and carried no error event. */
  whole: boolean;
  /** The endpoint that answered (x-mi-endpoint). */
  endpoint: string | null;
  error?: string;
}

/** A fixed-rate stream of streaming completions until stop(). */
export class OpenLoopStreams {
  readonly results: StreamResult[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private launched = 0;
  private t0 = 0;

  constructor(
    private readonly url: string,
    private readonly model: string,
    private readonly ratePerS: number,
    private readonly maxTokens = 8,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Starts offering load. */
  start(): void {
    this.t0 = Date.now();
    this.launched = 0;
    // A 10 ms tick launches whatever is due, so the rate holds even when a tick is late.
    this.timer = setInterval(() => {
      const due = Math.floor(((Date.now() - this.t0) * this.ratePerS) / 1000);
      while (this.launched < due) {
        this.launched++;
        const p = this.one().finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
      }
    }, 10);
  }

  /** Stops launching and waits for the requests in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.inFlight]);
  }

  /** Results of requests started in [fromMs, toMs). */
  between(fromMs: number, toMs: number): StreamResult[] {
    return this.results.filter((r) => r.startMs >= fromMs && r.startMs < toMs);
  }

  private async one(): Promise<void> {
    const startMs = Date.now();
    const r: StreamResult = { startMs, durationMs: 0, status: 0, started: false, whole: false, endpoint: null };
    try {
      const res = await fetch(`${this.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: this.model, prompt: 'tell me a story', max_tokens: this.maxTokens, stream: true }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      r.status = res.status;
      r.endpoint = res.headers.get('x-mi-endpoint');
      let text = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        if (!r.started && text.includes('"choices"')) r.started = true;
      }
      r.whole = res.status === 200 && text.endsWith('data: [DONE]\n\n') && !text.includes('"error"');
      if (!r.whole) r.error = text.slice(-300);
    } catch (err) {
      r.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    r.durationMs = Date.now() - startMs;
    this.results.push(r);
  }
}
