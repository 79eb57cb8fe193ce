// Extension points of the gateway's endpoint scheduler (after the Gateway API Inference
// Extension's endpoint picker): filters narrow the candidates, scorers rate them in [0,1] with a
// weight, a picker orders them. The gateway tries candidates in that order (failover).
// Pure: nothing here does I/O; time and randomness come in through the context.

/** One endpoint as the scheduler sees it at the moment of a request. */
export interface EndpointView {
  /** Stable instance id (RouteEndpoint.id). */
  id: string;
  address: string;
  modelServer: string;
  role: 'both' | 'prefill' | 'decode';
  pdGroup?: string;
  /** LoRA adapters the endpoint has loaded. */
  adapters: readonly string[];
  /** Requests in flight from gateways to this endpoint (own count, plus peers' when shared). */
  inFlight: number;
  /** Engine-reported queue and batch, from the latest MI_METRICS sample (0 when unknown). */
  waiting: number;
  running: number;
  /** Engine KV cache usage 0-1 (0 when unknown). */
  kvUsage: number;
  /** Recent mean TTFT and time per output token in ms, when the engine reported any. */
  ttftMs?: number;
  tpotMs?: number;
  /** Engine KV cache capacity, for sizing per-endpoint prefix indexes. */
  kvBlocks?: number;
  /** Age of the latest engine sample in ms (Infinity when none). */
  sampleAgeMs: number;
}

/** What the scheduler knows of one request. Built once per request by the gateway. */
export interface RequestInfo {
  requestId: string;
  /** Model name the client asked for. */
  model: string;
  /** LoRA adapter requested, when the name resolved to an adapter. */
  adapter?: string;
  /** Request headers, names lower-case. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The text that reaches the engine's prompt: `prompt`, or chat messages joined in order. */
  promptText: string;
  /** Wall-clock ms at arrival. */
  nowMs: number;
  /** A number in [0,1) drawn for this request from the gateway's seeded generator. */
  random: number;
}

export interface Filter {
  readonly name: string;
  /** Returns the subset of endpoints that may serve the request (may return all). */
  filter(req: RequestInfo, endpoints: readonly EndpointView[]): EndpointView[];
}

export interface Scorer {
  readonly name: string;
  /** One score per endpoint, same order, each in [0,1]; higher is better. */
  score(req: RequestInfo, endpoints: readonly EndpointView[]): number[];
  /**
   * Optional (added compatibly): learns from the outcome of a request this scheduler placed,
   * e.g. the prefix cache records the chosen endpoint's blocks after a success.
   */
  observe?(req: RequestInfo, endpoint: EndpointView, outcome: Outcome): void;
  /**
   * Optional (added compatibly): told which endpoint the picker put first, right after
   * scheduling, e.g. so the prefix cache can count a placement before the response completes.
   */
  picked?(req: RequestInfo, endpoint: EndpointView): void;
  /**
   * Optional (added compatibly): words explaining this request's scores beyond the numbers
   * (e.g. "hotspot guard ignored affinity to e0"), read right after score(); undefined if none.
   */
  notes?(req: RequestInfo): string[] | undefined;
}

/** Per-endpoint detail of a decision, for `x-mi-explain` and sampled decision events. */
export interface ScoredEndpoint {
  endpoint: EndpointView;
  /** Weighted total. */
  total: number;
  /** Raw score of each scorer by name; empty when the decision is not explained (Scheduler.place). */
  scores: Record<string, number>;
}

export interface Picker {
  readonly name: string;
  /**
   * Orders the scored endpoints: the first is tried first, the rest are failover candidates.
   * Order by `total`: per-scorer `scores` are filled only for explained decisions.
   */
  pick(req: RequestInfo, scored: readonly ScoredEndpoint[]): ScoredEndpoint[];
}

/** Where one request goes, without the reasons (Scheduler.place). */
export interface ScheduleOrder {
  /** Candidates in the order to try; empty when no endpoint may serve the request. */
  candidates: EndpointView[];
}

/** Result of scheduling one request, with the reasons. */
export interface ScheduleResult extends ScheduleOrder {
  /** Everything needed to explain the choice. */
  explain: {
    /** Endpoints left after each filter, by filter name (in order of application). */
    filtered: Record<string, number>;
    scored: ScoredEndpoint[];
    picked: string | null;
    /** Optional (added compatibly): endpoints offered before filtering. */
    input?: number;
    /** Optional (added compatibly): filters that removed every endpoint and were bypassed. */
    bypassed?: string[];
    /** Optional (added compatibly): scorers' notes on this decision, by scorer name. */
    notes?: Record<string, string[]>;
  };
}

/** How one attempt ended, fed back so stateful plugins (prefix cache) can learn. */
export interface Outcome {
  ok: boolean;
  status: number;
}

/** The gateway's single handle on scheduling. */
export interface Scheduler {
  /** Orders the candidates and explains why (for `x-mi-explain` and sampled decision events). */
  schedule(req: RequestInfo, endpoints: readonly EndpointView[]): ScheduleResult;
  /** The same order as schedule() and the same plugin side effects, without the explanation. */
  place(req: RequestInfo, endpoints: readonly EndpointView[]): ScheduleOrder;
  /** Called once per request after the chosen endpoint answered (or failed). */
  observe(req: RequestInfo, endpoint: EndpointView, outcome: Outcome): void;
}
