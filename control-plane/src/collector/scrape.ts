// HTTP edge of the collector: read one endpoint's /metrics (required) and /v1/models (optional),
// and any other exposition (a binding's metricEndpoint).
import { ScrapeFailedError } from './errors.js';

/** Raw result of one scrape. */
export interface ScrapeResult {
  metricsText: string;
  /** Parsed /v1/models body, undefined when that endpoint failed (adapters then unknown). */
  models?: unknown;
}

async function get(url: string, timeoutMs: number): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
}

/** GETs one exposition at `url`; ScrapeFailedError when it fails or answers other than 200. */
export async function scrapeMetricsText(url: string, timeoutMs: number): Promise<string> {
  try {
    const res = await get(url, timeoutMs);
    const text = await res.text();
    if (res.status !== 200) throw new ScrapeFailedError(`GET ${url} answered ${res.status}`);
    return text;
  } catch (err) {
    if (err instanceof ScrapeFailedError) throw err;
    throw new ScrapeFailedError(`GET ${url} failed: ${(err as Error).message}`, { cause: err });
  }
}

/** GETs `<address>/metrics` and `<address>/v1/models` concurrently; ScrapeFailedError when /metrics fails. */
export async function scrapeEndpoint(address: string, timeoutMs: number): Promise<ScrapeResult> {
  const modelsP = get(`${address}/v1/models`, timeoutMs)
    .then(async (res) => (res.ok ? ((await res.json()) as unknown) : (await res.arrayBuffer(), undefined)))
    .catch(() => undefined);
  let metricsText: string;
  try {
    metricsText = await scrapeMetricsText(`${address}/metrics`, timeoutMs);
  } catch (err) {
    await modelsP;
    throw err;
  }
  return { metricsText, models: await modelsP };
}
