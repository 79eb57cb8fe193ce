// Thin HTTP edge to one engine: the health probe, the adapters /v1/models lists, and the LoRA
// load/unload endpoints of vLLM (`/v1/load_lora_adapter`) and SGLang (`/load_lora_adapter`).
// An answer meaning "already so" (vLLM: already loaded, unknown on unload; SGLang the same in
// its error_message) counts as success: the call is idempotent from the controller's side.
import { parseAdapters } from '../../collector/normalize.js';

/** Outcome of one call. */
export interface EngineCallResult {
  ok: boolean;
  /** HTTP status, absent when there was no answer. */
  status?: number;
  /** Error in words (the engine's message, or the connection failure). */
  error?: string;
}

/** The engine calls the endpoint controller makes (a hand-written fake in unit tests). */
export interface EngineApi {
  health(address: string, timeoutMs: number): Promise<EngineCallResult>;
  /** Adapters listed by /v1/models, sorted; undefined when it did not answer 200 with a list. */
  adapters(address: string, timeoutMs: number): Promise<string[] | undefined>;
  load(engine: 'vLLM' | 'SGLang', address: string, name: string, path: string, timeoutMs: number): Promise<EngineCallResult>;
  unload(engine: 'vLLM' | 'SGLang', address: string, name: string, timeoutMs: number): Promise<EngineCallResult>;
}

function failure(err: unknown): EngineCallResult {
  const e = err as Error;
  return { ok: false, error: e.name === 'TimeoutError' ? 'timed out' : (e.message ?? String(err)) };
}

async function post(url: string, body: unknown, timeoutMs: number): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, text: await res.text() };
}

function messageOf(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown }; error_message?: unknown; message?: unknown };
    const m = j.error?.message ?? j.error_message ?? j.message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 300);
}

function sglangOk(text: string): boolean {
  try {
    return (JSON.parse(text) as { success?: unknown }).success === true;
  } catch {
    return false;
  }
}

/** Judges a load/unload answer; `already` matches the engine's "already so" message. */
function judge(r: { status: number; text: string }, engine: 'vLLM' | 'SGLang', already: RegExp, okStatus: (s: number) => boolean): EngineCallResult {
  const message = messageOf(r.text);
  if (engine === 'SGLang' ? r.status === 200 && sglangOk(r.text) : r.status === 200) return { ok: true, status: r.status };
  if (okStatus(r.status) && already.test(message)) return { ok: true, status: r.status };
  return { ok: false, status: r.status, error: `HTTP ${r.status}: ${message}` };
}

/** Health paths of the engine families, in the order they are tried: vLLM/SGLang, Triton, TorchServe. */
export const HEALTH_PATHS = ['/health', '/v2/health/ready', '/ping'] as const;

/** The engine API over fetch (undici's pooled connections). */
export function createHttpEngineApi(): EngineApi {
  const healthPaths = new Map<string, string>();
  return {
    async health(address, timeoutMs) {
      try {
        // The path that answered this address before; else vLLM/SGLang's /health, and on a 404
        // Triton's and TorchServe's readiness paths (observations do not name the engine).
        const known = healthPaths.get(address);
        for (const path of known === undefined ? HEALTH_PATHS : [known]) {
          const res = await fetch(`${address}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
          await res.arrayBuffer();
          if (res.status === 404 && known === undefined) continue;
          if (res.status !== 404) {
            if (healthPaths.size >= 4096) healthPaths.clear(); // addresses of gone processes
            healthPaths.set(address, path);
          }
          return res.status === 200 ? { ok: true, status: 200 } : { ok: false, status: res.status, error: `HTTP ${res.status}` };
        }
        return { ok: false, status: 404, error: 'HTTP 404' };
      } catch (err) {
        return failure(err);
      }
    },
    async adapters(address, timeoutMs) {
      try {
        const res = await fetch(`${address}/v1/models`, { signal: AbortSignal.timeout(timeoutMs) });
        if (res.status !== 200) {
          await res.arrayBuffer();
          return undefined;
        }
        const body = (await res.json()) as { data?: unknown };
        return Array.isArray(body?.data) ? parseAdapters(body) : undefined;
      } catch {
        return undefined;
      }
    },
    async load(engine, address, name, path, timeoutMs) {
      const url = engine === 'SGLang' ? `${address}/load_lora_adapter` : `${address}/v1/load_lora_adapter`;
      try {
        return judge(await post(url, { lora_name: name, lora_path: path }, timeoutMs), engine, /already (been )?loaded/i, (s) => s === 400);
      } catch (err) {
        return failure(err);
      }
    },
    async unload(engine, address, name, timeoutMs) {
      const url = engine === 'SGLang' ? `${address}/unload_lora_adapter` : `${address}/v1/unload_lora_adapter`;
      try {
        return judge(await post(url, { lora_name: name }, timeoutMs), engine, /cannot be found|not loaded|not found/i, (s) => s === 404 || s === 400);
      } catch (err) {
        return failure(err);
      }
    },
  };
}
