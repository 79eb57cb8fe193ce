// Helpers for the simulator's HTTP tests: raw HTTP calls, SSE reading and /metrics parsing with
// parse-prometheus-text-format (loaded through require so no global type declaration is needed).

import { createRequire } from 'node:module';

/** One parsed metric family as parse-prometheus-text-format returns it (prom2json shape). */
export interface PromFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }>;
}

const require = createRequire(import.meta.url);
const parseProm = require('parse-prometheus-text-format') as (text: string) => PromFamily[];

/** Fetches and parses /metrics into a map by family name. */
export async function scrape(url: string): Promise<Map<string, PromFamily>> {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  return new Map(parseProm(text).map((f) => [f.name, f]));
}

/** The single sample value of a counter/gauge family (optionally the series matching `labels`). */
export function value(m: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number {
  const f = m.get(name);
  if (!f) throw new Error(`metric ${name} missing`);
  const s = f.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  if (!s) throw new Error(`metric ${name} has no series ${JSON.stringify(labels)}`);
  return Number(s.value ?? s.count);
}

/** POSTs JSON and returns status, headers and body text. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}):
  Promise<{ status: number; text: string; json: () => unknown; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text), headers: res.headers };
}

/** Splits an SSE body into its data payloads. */
export function sseData(text: string): string[] {
  return text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
}

/** Polls `fn` until it returns true or `timeoutMs` passes. */
export async function until(fn: () => Promise<boolean> | boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
