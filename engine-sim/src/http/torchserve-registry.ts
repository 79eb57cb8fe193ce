// TorchServe's registered models and their workers, with the management API's answers:
// register (POST /models?url=&model_name=&initial_workers=&synchronous=), scale (PUT
// /models/<m>[/<v>]?min_worker=&max_worker=&synchronous=), unregister (DELETE
// /models/<m>[/<v>]), list (GET /models?limit=&next_page_token=) and describe (GET
// /models/<m>[/<v>|/all]). Workers are recorded and described (one READY worker per min_worker);
// they do not change the engine's capacity. Pure state plus {status, body} answers; errors are
// TorchServe's {code, type, message}.

/** One registered model (every model has the one version 1.0 here). */
export interface TsModel {
  name: string;
  url: string;
  minWorkers: number;
  maxWorkers: number;
  loadedAtStartup: boolean;
  /** Start time of each worker, ISO. */
  workers: string[];
}

/** An answer of the management API. */
export interface MgmtAnswer {
  status: number;
  body: unknown;
}

/** The registry of one TorchServe simulator. */
export interface TorchserveRegistry {
  get(name: string): TsModel | undefined;
  register(q: URLSearchParams): MgmtAnswer;
  scale(name: string, version: string | undefined, q: URLSearchParams): MgmtAnswer;
  unregister(name: string, version: string | undefined): MgmtAnswer;
  list(q: URLSearchParams): MgmtAnswer;
  describe(name: string, version: string | undefined): MgmtAnswer;
}

/** The version of every simulated model. */
export const TS_MODEL_VERSION = '1.0';

const TYPES: Record<number, string> = { 400: 'BadRequestException', 404: 'ModelNotFoundException', 409: 'ConflictStatusException' };

function error(status: number, message: string): MgmtAnswer {
  return { status, body: { code: status, type: TYPES[status] ?? 'InternalServerException', message } };
}

/** An integer query parameter >= 0, its default when absent, or null when malformed. */
function intParam(q: URLSearchParams, key: string, dflt: number): number | null {
  const v = q.get(key);
  if (v === null || v === '') return dflt;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** Creates the registry with `startup` registered (`--models` at start) with `workers` each; `now` gives ISO times. */
export function createTorchserveRegistry(startup: { name: string; url: string }[], workers: number, now: () => string): TorchserveRegistry {
  const models = new Map<string, TsModel>();
  const sized = (m: TsModel, min: number, max: number): void => {
    m.minWorkers = min;
    m.maxWorkers = max;
    while (m.workers.length < min) m.workers.push(now());
    m.workers.length = min;
  };
  for (const s of startup) {
    const m: TsModel = { name: s.name, url: s.url, minWorkers: 0, maxWorkers: 0, loadedAtStartup: true, workers: [] };
    sized(m, workers, workers);
    models.set(s.name, m);
  }
  const versionMissing = (name: string, version: string | undefined): MgmtAnswer | undefined =>
    version !== undefined && version !== TS_MODEL_VERSION ? error(404, `Model version: ${version} does not exist for model: ${name}`) : undefined;
  const describeOne = (m: TsModel): unknown => ({
    modelName: m.name, modelVersion: TS_MODEL_VERSION, modelUrl: m.url, runtime: 'python', minWorkers: m.minWorkers, maxWorkers: m.maxWorkers,
    batchSize: 1, maxBatchDelay: 100, loadedAtStartup: m.loadedAtStartup,
    workers: m.workers.map((t, i) => ({ id: String(9000 + i), startTime: t, status: 'READY', memoryUsage: 0, pid: process.pid, gpu: false, gpuUsage: 'N/A' })),
    jobQueueStatus: { remainingCapacity: 100, pendingRequests: 0 },
  });
  return {
    get: (name) => models.get(name),
    register(q) {
      const url = q.get('url');
      if (!url) return error(400, 'Parameter url is required.');
      const base = url.slice(url.lastIndexOf('/') + 1);
      const name = q.get('model_name') || (base.endsWith('.mar') ? base.slice(0, -4) : base);
      const initial = intParam(q, 'initial_workers', 0);
      if (initial === null) return error(400, 'Parameter initial_workers must be a non-negative integer.');
      if (models.has(name)) return error(409, `Model version ${TS_MODEL_VERSION} is already registered for model ${name}`);
      const m: TsModel = { name, url: base, minWorkers: 0, maxWorkers: 0, loadedAtStartup: false, workers: [] };
      sized(m, initial, initial);
      models.set(name, m);
      if (initial === 0) return { status: 200, body: { status: `Model "${name}" Version: ${TS_MODEL_VERSION} registered with 0 initial workers. Use scale workers API to add workers for the model.` } };
      if (q.get('synchronous') !== 'true') return { status: 202, body: { status: 'Processing worker updates...' } };
      return { status: 200, body: { status: `Model "${name}" Version: ${TS_MODEL_VERSION} registered with ${initial} initial workers` } };
    },
    scale(name, version, q) {
      const m = models.get(name);
      if (!m) return error(404, `Model not found: ${name}`);
      const missing = versionMissing(name, version);
      if (missing) return missing;
      const min = intParam(q, 'min_worker', 1);
      const max = intParam(q, 'max_worker', min ?? 1);
      if (min === null || max === null) return error(400, 'Parameters min_worker and max_worker must be non-negative integers.');
      if (max < min) return error(400, 'max_worker cannot be less than min_worker.');
      sized(m, min, max);
      if (q.get('synchronous') !== 'true') return { status: 202, body: { status: 'Processing worker updates...' } };
      return { status: 200, body: { status: `Workers scaled to ${min} for model: ${name}${version === undefined ? '' : `, version: ${version}`}` } };
    },
    unregister(name, version) {
      if (!models.has(name)) return error(404, `Model not found: ${name}`);
      const missing = versionMissing(name, version);
      if (missing) return missing;
      models.delete(name);
      return { status: 200, body: { status: `Model "${name}" unregistered` } };
    },
    list(q) {
      const limit = intParam(q, 'limit', 100);
      const start = intParam(q, 'next_page_token', 0);
      if (limit === null || start === null) return error(400, 'Parameters limit and next_page_token must be non-negative integers.');
      const names = [...models.keys()].sort();
      const page = names.slice(start, start + (limit === 0 ? 100 : limit)).map((n) => ({ modelName: n, modelUrl: models.get(n)!.url }));
      const body: { nextPageToken?: string; models: unknown[] } = { models: page };
      if (start + page.length < names.length) body.nextPageToken = String(start + page.length);
      return { status: 200, body };
    },
    describe(name, version) {
      const m = models.get(name);
      if (!m) return error(404, `Model not found: ${name}`);
      if (version !== 'all') {
        const missing = versionMissing(name, version);
        if (missing) return missing;
      }
      return { status: 200, body: [describeOne(m)] };
    },
  };
}
