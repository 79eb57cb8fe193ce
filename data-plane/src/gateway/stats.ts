// Per-model load of this gateway over the last period, for the GatewaySample it publishes on
// MI_METRICS every second (the autoscaler's view of demand).
import type { GatewaySample } from '@matrixinfer/events';

interface ModelCounters {
  namespace: string;
  inFlight: number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  /** Periods in a row with nothing to report. */
  idlePeriods: number;
}

/** Counters per model name; `drain()` turns them into samples and starts a new period. */
export class ModelStatsBook {
  private readonly models = new Map<string, ModelCounters>();

  private counters(model: string, namespace: string): ModelCounters {
    let c = this.models.get(model);
    if (!c) {
      c = { namespace, inFlight: 0, requests: 0, inputTokens: 0, outputTokens: 0, idlePeriods: 0 };
      this.models.set(model, c);
    }
    return c;
  }

  /** A request for a routable model started. */
  begin(model: string, namespace: string): void {
    const c = this.counters(model, namespace);
    c.inFlight++;
    c.requests++;
  }

  /** That request ended, with the tokens its usage reported. */
  end(model: string, namespace: string, inputTokens: number, outputTokens: number): void {
    const c = this.counters(model, namespace);
    c.inFlight--;
    c.inputTokens += inputTokens;
    c.outputTokens += outputTokens;
  }

  /** Requests of `model` in the gateway now (proxied or held). */
  inFlightOf(model: string): number {
    return this.models.get(model)?.inFlight ?? 0;
  }

  /** Samples of the period that ends now (`periodMs` long); idle models are reported once at zero, then dropped. */
  drain(gateway: string, nowMs: number, periodMs: number): Array<{ namespace: string; sample: GatewaySample }> {
    const out: Array<{ namespace: string; sample: GatewaySample }> = [];
    const perS = 1000 / periodMs;
    for (const [model, c] of this.models) {
      const idle = c.inFlight === 0 && c.requests === 0 && c.inputTokens === 0 && c.outputTokens === 0;
      if (idle && ++c.idlePeriods > 1) {
        this.models.delete(model);
        continue;
      }
      if (!idle) c.idlePeriods = 0;
      out.push({
        namespace: c.namespace,
        sample: {
          gateway,
          model,
          timeMs: nowMs,
          inFlight: c.inFlight,
          requestsPerSecond: c.requests * perS,
          inputTokensPerSecond: c.inputTokens * perS,
          outputTokensPerSecond: c.outputTokens * perS,
        },
      });
      c.requests = 0;
      c.inputTokens = 0;
      c.outputTokens = 0;
    }
    return out;
  }
}
