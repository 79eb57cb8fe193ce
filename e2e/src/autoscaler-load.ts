// Load for the autoscaler e2e test and benchmark: closed-loop clients through a gateway.

/** Closed-loop clients: each keeps one request in flight through the gateway until stopped. */
export class ClosedLoopLoad {
  private workers: Promise<void>[] = [];
  private aborts: AbortController[] = [];
  completed = 0;
  failed = 0;
  /** Failures by HTTP status (or 'network'). */
  readonly failures = new Map<string, number>();
  /** maxTokens sets each request's length: longer requests make the time a client spends between
   * requests (which a busy test process stretches) a smaller share of its in-flight time. */
  constructor(
    private readonly url: string,
    private readonly model: string,
    private readonly maxTokens = 40,
  ) {}

  /** Sets the number of concurrent clients. */
  set(n: number): void {
    while (this.aborts.length < n) {
      const ac = new AbortController();
      this.aborts.push(ac);
      this.workers.push(this.loop(ac.signal));
    }
    while (this.aborts.length > n) this.aborts.pop()!.abort();
  }

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const res = await fetch(`${this.url}/v1/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: this.model, prompt: 'tell me a story', max_tokens: this.maxTokens }),
          signal,
        });
        await res.arrayBuffer();
        if (res.ok) this.completed++;
        else this.fail(String(res.status));
      } catch {
        if (!signal.aborted) this.fail('network');
      }
    }
  }

  private fail(why: string): void {
    this.failed++;
    this.failures.set(why, (this.failures.get(why) ?? 0) + 1);
  }

  /** Stops every client and waits for their requests to end. */
  async stop(): Promise<void> {
    this.set(0);
    await Promise.allSettled(this.workers);
    this.workers = [];
  }
}
