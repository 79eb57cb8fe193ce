// Routing core: model name -> entry -> first matching rule -> weighted ModelServer. Pure: the
// random number comes in, so a seeded generator makes splits reproducible in tests.
import type { HeaderMatch, RouteEntry, RouteRule, RouteServer } from '@matrixinfer/events';
import type { RouteTable, TableEntry } from './route-table.js';
import { GatewayError, noEndpoint, noRuleMatch, routeNotFound } from './errors.js';

/** Where one request goes, before an endpoint is chosen. */
export interface Resolution {
  entry: RouteEntry;
  rule: RouteRule;
  server: RouteServer;
  /** Model name to send upstream (rewritten to server.model unless the key is a LoRA adapter). */
  upstreamModel: string;
  /** The adapter name when the key is a LoRA adapter. */
  adapter: string | undefined;
  /** `<ModelRoute>/<rule>/<ModelServer>` for the x-mi-route header. */
  routeLabel: string;
}

/** What the router needs of a request. */
export interface RouteRequest {
  model: string;
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Uniform in [0,1), from the gateway's seeded generator. */
  random: number;
}

function matchValue(m: HeaderMatch, value: string, regexes: ReadonlyMap<string, RegExp>): boolean {
  if (m.exact !== undefined) return value === m.exact;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  if (m.regex !== undefined) return regexes.get(m.regex)?.test(value) ?? false;
  return true;
}

function matchHeader(m: HeaderMatch, value: string | string[] | undefined, regexes: ReadonlyMap<string, RegExp>): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string') return matchValue(m, value, regexes);
  for (const v of value) if (matchValue(m, v, regexes)) return true;
  return false;
}

/** True when every condition of the rule's match holds for the request. */
export function ruleMatches(rule: RouteRule, req: RouteRequest, regexes: ReadonlyMap<string, RegExp>): boolean {
  const m = rule.match;
  if (!m) return true;
  if (m.bodyModel !== undefined && m.bodyModel !== req.model) return false;
  if (m.uri !== undefined && !matchValue(m.uri, req.path, regexes)) return false;
  if (m.headers) {
    for (const name in m.headers) {
      if (!matchHeader(m.headers[name], req.headers[name], regexes)) return false;
    }
  }
  return true;
}

/** Index of the target a uniform `random` picks, proportional to weight (all-zero: uniform). */
export function pickWeighted(weights: readonly number[], random: number): number {
  let sum = 0;
  for (const w of weights) sum += w > 0 ? w : 0;
  if (sum <= 0) return Math.min(weights.length - 1, Math.floor(random * weights.length));
  let x = random * sum;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] > 0 ? weights[i] : 0;
    if (x < w) return i;
    x -= w;
  }
  // Float rounding can leave x a hair above the last weight: the last positive target wins.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return 0;
}

/** Resolves a request against a table entry; returns a GatewayError instead of throwing. */
export function resolveEntry(held: TableEntry, req: RouteRequest): Resolution | GatewayError {
  const entry = held.entry;
  let rule: RouteRule | undefined;
  for (const r of entry.rules) {
    if (ruleMatches(r, req, held.regexes)) {
      rule = r;
      break;
    }
  }
  if (!rule || rule.targets.length === 0) return noRuleMatch(req.model);
  const targets = rule.targets;
  let idx = 0;
  if (targets.length > 1) {
    const weights: number[] = [];
    for (const t of targets) weights.push(t.weight);
    idx = pickWeighted(weights, req.random);
  }
  const serverName = targets[idx].modelServer;
  const server = entry.servers[serverName];
  if (!server) return noEndpoint(req.model, serverName);
  const isLora = entry.kind === 'lora';
  return {
    entry,
    rule,
    server,
    upstreamModel: isLora ? req.model : (server.model ?? req.model),
    adapter: isLora ? req.model : undefined,
    routeLabel: `${entry.route}/${rule.name}/${server.name}`,
  };
}

/** Resolves a request against the whole table: unknown model -> 404 error value. */
export function resolve(table: RouteTable, req: RouteRequest): Resolution | GatewayError {
  const held = table.entries.get(req.model);
  if (!held) return routeNotFound(req.model);
  return resolveEntry(held, req);
}
