// HTTP edge of the collector: read one endpoint's /metrics (required) and /v1/models (optional).
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

/** GETs `<address>/metrics` and `<address>/v1/models` concurrently; ScrapeFailedError when /metrics fails. */
export async function scrapeEndpoint(address: string, timeoutMs: number): Promise<ScrapeResult> {
  const modelsP = get(`${address}/v1/models`, timeoutMs)
    .then(async (res) => (res.ok ? ((await res.json()) as unknown) : (await res.arrayBuffer(), undefined)))
    .catch(() => undefined);
  let metricsText: string;
  try {
    const res = await get(`${address}/metrics`, timeoutMs);
    metricsText = await res.text();
    if (res.status !== 200) throw new ScrapeFailedError(`GET ${address}/metrics answered ${res.status}`);
  } catch (err) {
    await modelsP;
    if (err instanceof ScrapeFailedError) throw err;
    throw new ScrapeFailedError(`GET ${address}/metrics failed: ${(err as Error).message}`, { cause: err });
  }
  return { metricsText, models: await modelsP };
}
