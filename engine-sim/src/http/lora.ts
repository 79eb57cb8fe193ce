// LoRA adapters known to one simulator, and the load/unload endpoints of vLLM and SGLang.

import type { ServerResponse } from 'node:http';
import type { EngineKind } from '../config.js';
import { sendError, sendJson, sendText } from './io.js';

/** Adapter name -> path, in load order, with loads still in progress counted against capacity. */
export interface LoraRegistry {
  has(name: string): boolean;
  list(): Array<{ name: string; path: string }>;
  /** Most adapters loaded (or loading) at once. */
  readonly capacity: number;
  /** Claims a slot for a load: 'exists' when the name is loaded or loading, 'full' at capacity. */
  reserve(name: string): 'ok' | 'exists' | 'full';
  /** Finishes a reserved load: the adapter is served from now on. */
  load(name: string, path: string): void;
  unload(name: string): boolean;
}

/** Creates a registry with the adapters given at start-up and room for `capacity` in all. */
export function createLoraRegistry(initial: Record<string, string>, capacity = Infinity): LoraRegistry {
  const adapters = new Map<string, string>(Object.entries(initial));
  const loading = new Set<string>();
  return {
    capacity,
    has: (name) => adapters.has(name),
    list: () => [...adapters].map(([name, path]) => ({ name, path })),
    reserve(name) {
      if (adapters.has(name) || loading.has(name)) return 'exists';
      if (adapters.size + loading.size >= capacity) return 'full';
      loading.add(name);
      return 'ok';
    },
    load(name, path) {
      loading.delete(name);
      adapters.set(name, path);
    },
    unload: (name) => adapters.delete(name),
  };
}

function str(body: unknown, key: string): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const v = (body as Record<string, unknown>)[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Real milliseconds a load takes (the simulator's --lora-load-delay-ms on its clock). */
export type LoadDelay = () => number;

function afterDelay(delayMs: number, fn: () => void): void {
  if (delayMs > 0) setTimeout(fn, delayMs);
  else fn();
}

/**
 * POST /v1/load_lora_adapter (vLLM) or /load_lora_adapter (SGLang). The adapter is served only
 * once the load delay has passed; a load beyond capacity is refused with the engine's answer
 * (vLLM: 400 BadRequestError "No free adapter slots."; SGLang: 400 with its max-loaded message).
 */
export function handleLoadLora(engine: EngineKind, reg: LoraRegistry, body: unknown, res: ServerResponse, delay: LoadDelay = () => 0): void {
  const name = str(body, 'lora_name');
  const path = str(body, 'lora_path');
  const inplace = body !== null && typeof body === 'object' && (body as Record<string, unknown>).load_inplace === true;
  if (engine === 'sglang') {
    const loaded = (): Record<string, string> => Object.fromEntries(reg.list().map((a) => [a.name, a.path]));
    if (!name || !path) {
      sendJson(res, 400, { success: false, error_message: 'lora_name and lora_path are required.', loaded_adapters: loaded() });
      return;
    }
    const slot = reg.reserve(name);
    if (slot === 'exists') {
      sendJson(res, 400, { success: false, error_message: `The LoRA adapter ${name} is already loaded.`, loaded_adapters: loaded() });
      return;
    }
    if (slot === 'full') {
      const message = `Cannot load LoRA adapter ${name} at path ${path}. Maximum number of loaded LoRA adapters is ${reg.capacity}. Please unload some LoRA adapters before loading new ones.`;
      sendJson(res, 400, { success: false, error_message: message, loaded_adapters: null });
      return;
    }
    afterDelay(delay(), () => {
      reg.load(name, path);
      sendJson(res, 200, { success: true, error_message: '', loaded_adapters: loaded() });
    });
    return;
  }
  if (!name || !path) {
    sendError(res, engine, { status: 400, type: 'InvalidUserInput', message: "Both 'lora_name' and 'lora_path' must be provided." });
    return;
  }
  const slot = inplace && reg.has(name) ? 'ok' : reg.reserve(name);
  if (slot === 'exists') {
    sendError(res, engine, { status: 400, type: 'InvalidUserInput', message: `The lora adapter '${name}' has already been loaded.` });
    return;
  }
  if (slot === 'full') {
    sendError(res, engine, { status: 400, type: 'BadRequestError', message: 'No free adapter slots.' });
    return;
  }
  afterDelay(delay(), () => {
    reg.load(name, path);
    sendText(res, 200, `Success: LoRA adapter '${name}' added successfully.`);
  });
}

/** POST /v1/unload_lora_adapter (vLLM) or /unload_lora_adapter (SGLang). */
export function handleUnloadLora(engine: EngineKind, reg: LoraRegistry, body: unknown, res: ServerResponse): void {
  const name = str(body, 'lora_name');
  if (engine === 'sglang') {
    const ok = name !== undefined && reg.unload(name);
    const loaded = Object.fromEntries(reg.list().map((a) => [a.name, a.path]));
    if (!ok) {
      sendJson(res, 400, { success: false, error_message: `LoRA adapter ${name ?? ''} is not loaded.`, loaded_adapters: loaded });
      return;
    }
    sendJson(res, 200, { success: true, error_message: '', loaded_adapters: loaded });
    return;
  }
  if (!name) {
    sendError(res, engine, { status: 400, type: 'InvalidUserInput', message: "'lora_name' needs to be provided to unload a LoRA adapter." });
    return;
  }
  if (!reg.unload(name)) {
    sendError(res, engine, { status: 404, type: 'NotFoundError', message: `The lora adapter '${name}' cannot be found.` });
    return;
  }
  sendText(res, 200, `Success: LoRA adapter '${name}' removed successfully.`);
}
