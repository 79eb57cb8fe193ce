// LoRA adapters known to one simulator, and the load/unload endpoints of vLLM and SGLang.

import type { ServerResponse } from 'node:http';
import type { EngineKind } from '../config.js';
import { sendError, sendJson, sendText } from './io.js';

/** Adapter name -> path, in load order. */
export interface LoraRegistry {
  has(name: string): boolean;
  list(): Array<{ name: string; path: string }>;
  load(name: string, path: string): void;
  unload(name: string): boolean;
}

/** Creates a registry with the adapters given at start-up. */
export function createLoraRegistry(initial: Record<string, string>): LoraRegistry {
  const adapters = new Map<string, string>(Object.entries(initial));
  return {
    has: (name) => adapters.has(name),
    list: () => [...adapters].map(([name, path]) => ({ name, path })),
    load(name, path) {
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

/** POST /v1/load_lora_adapter (vLLM) or /load_lora_adapter (SGLang). */
export function handleLoadLora(engine: EngineKind, reg: LoraRegistry, body: unknown, res: ServerResponse): void {
  const name = str(body, 'lora_name');
  const path = str(body, 'lora_path');
  const inplace = body !== null && typeof body === 'object' && (body as Record<string, unknown>).load_inplace === true;
  if (engine === 'sglang') {
    const loaded = (): Record<string, string> => Object.fromEntries(reg.list().map((a) => [a.name, a.path]));
    if (!name || !path) {
      sendJson(res, 400, { success: false, error_message: 'lora_name and lora_path are required.', loaded_adapters: loaded() });
      return;
    }
    if (reg.has(name)) {
      sendJson(res, 400, { success: false, error_message: `The LoRA adapter ${name} is already loaded.`, loaded_adapters: loaded() });
      return;
    }
    reg.load(name, path);
    sendJson(res, 200, { success: true, error_message: '', loaded_adapters: loaded() });
    return;
  }
  if (!name || !path) {
    sendError(res, engine, { status: 400, type: 'InvalidUserInput', message: "Both 'lora_name' and 'lora_path' must be provided." });
    return;
  }
  if (reg.has(name) && !inplace) {
    sendError(res, engine, { status: 400, type: 'InvalidUserInput', message: `The lora adapter '${name}' has already been loaded.` });
    return;
  }
  reg.load(name, path);
  sendText(res, 200, `Success: LoRA adapter '${name}' added successfully.`);
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
