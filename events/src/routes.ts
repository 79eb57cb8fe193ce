// The routing entry: the one contract between the control plane (projector writes it) and the
// data plane (gateways watch it). One entry per model name and per LoRA adapter name, stored as
// JSON in the `mi-routes` KV bucket under that name. Deterministic by construction: no
// timestamps, arrays sorted, so rebuilding from the streams gives byte-identical values.

/** Header match of a ModelRoute rule: exactly one of the three is set. */
export interface HeaderMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

/** Conditions of a rule; every given condition must hold. Empty means "match everything". */
export interface RouteMatch {
  /** Header name (lower-case) to its condition. */
  headers?: Record<string, HeaderMatch>;
  /** Request path condition (e.g. prefix `/v1/chat`). */
  uri?: HeaderMatch;
  /** Condition on the request body's `model` field. */
  bodyModel?: string;
}

/** A weighted target of a rule: a ModelServer by name (same namespace as the route). */
export interface RouteTarget {
  modelServer: string;
  /** 0-100; targets of one rule are picked with probability weight/sum. */
  weight: number;
}

export interface RouteRule {
  name: string;
  match?: RouteMatch;
  targets: RouteTarget[];
}

/** Token rate limit of a ModelRoute, per model name, per gateway unless `global`. */
export interface RouteRateLimit {
  inputTokensPerUnit?: number;
  outputTokensPerUnit?: number;
  unit: 'second' | 'minute' | 'hour' | 'day' | 'month';
  /** One budget for all gateway replicas (they share consumption over NATS); absent: per replica. */
  global?: boolean;
}

/** One ready replica (or PD role instance) serving a ModelServer. */
export interface RouteEndpoint {
  /** Stable instance id, e.g. `<modelinfer>-<group>-<role>-<roleIdx>-<podIdx>`. */
  id: string;
  /** Base URL, `http://host:port`, no trailing slash. */
  address: string;
  /** Engine role: `both` for aggregated serving. */
  role: 'both' | 'prefill' | 'decode';
  /** Value of the PD group key: prefill and decode meet only inside one group. */
  pdGroup?: string;
  /** LoRA adapters this endpoint reported loaded (from its /v1/models), sorted. */
  adapters?: string[];
}

/** Engine family of a server, endpoint or sample (ModelServer spec.inferenceEngine). */
export type EngineFamily = 'vLLM' | 'SGLang' | 'Triton' | 'TorchServe';

/** Path that answers 200 once an engine of the family serves requests (vLLM/SGLang /health, Triton's KServe v2 ready, TorchServe /ping). */
export function engineReadyPath(engine: EngineFamily): string {
  return engine === 'Triton' ? '/v2/health/ready' : engine === 'TorchServe' ? '/ping' : '/health';
}

/** A ModelServer as the gateway needs it. */
export interface RouteServer {
  name: string;
  namespace: string;
  engine: EngineFamily;
  /** Model name sent upstream (the body's model is rewritten to it, except for LoRA). */
  model?: string;
  trafficPolicy?: {
    timeoutMs?: number;
    retry?: { attempts: number; retryIntervalMs: number };
    /** No byte for this long ends an attempt (0: off); absent: the gateway's default. */
    streamIdleTimeoutMs?: number;
    /** Passive outlier ejection; absent fields: the gateway's defaults. */
    outlierDetection?: RouteOutlierDetection;
  };
  kvConnector?: { type: 'http' | 'lmcache' | 'nixl' | 'mooncake' };
  /** Endpoints ready now, sorted by id. */
  endpoints: RouteEndpoint[];
}

/** A ModelServer's `trafficPolicy.outlierDetection`, durations in milliseconds. */
export interface RouteOutlierDetection {
  consecutive5xx?: number;
  consecutiveGatewayFailure?: number;
  baseEjectionTimeMs?: number;
  maxEjectionTimeMs?: number;
  maxEjectionPercent?: number;
}

/** The value stored under one key of `mi-routes`. */
export interface RouteEntry {
  /** Format marker, so a gateway can refuse entries it does not understand. */
  format: 'mi.route/v1';
  /** The key: a model name or a LoRA adapter name. */
  name: string;
  /** `model` when the key is a ModelRoute's modelName, `lora` when it is one of its adapters. */
  kind: 'model' | 'lora';
  namespace: string;
  /** The ModelRoute this entry comes from. */
  route: string;
  /** Ordered: the first rule whose match holds wins. */
  rules: RouteRule[];
  /** Every ModelServer a rule targets, by name. */
  servers: Record<string, RouteServer>;
  rateLimit?: RouteRateLimit;
}

/** Parses and checks a `mi-routes` value; returns null for anything that is not a v1 entry. */
export function decodeRouteEntry(bytes: Uint8Array): RouteEntry | null {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const e = v as Partial<RouteEntry>;
  if (e.format !== 'mi.route/v1' || typeof e.name !== 'string' || !Array.isArray(e.rules)) return null;
  if (typeof e.servers !== 'object' || e.servers === null) return null;
  return e as RouteEntry;
}

/** Serializes an entry with sorted object keys, so equal entries are equal bytes. */
export function encodeRouteEntry(entry: RouteEntry): Uint8Array {
  return new TextEncoder().encode(stableStringify(entry));
}

/** JSON.stringify with object keys sorted at every level (arrays keep their order). */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v as Record<string, unknown>).sort()) out[k] = (v as Record<string, unknown>)[k];
      return out;
    }
    return v;
  });
}
