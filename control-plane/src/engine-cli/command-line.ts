// What a hand-written container command line runs: its programs (a `sh -c` script is split into
// its commands) and, when one of them starts a vLLM or SGLang OpenAI server, that invocation.
// Pure; the actuator probes the programs, the infer controller derives the simulator's
// stand-in arguments from the invocation, so a MatrixInfer ModelInfer written for a GPU
// cluster runs on one machine with the simulator in the engine's place.
import { parse } from 'shell-quote';

/** An engine server the simulator can stand in for. */
export type EngineKind = 'vLLM' | 'SGLang';

/** A vLLM or SGLang OpenAI-server invocation found in a command line. */
export interface EngineInvocation {
  engine: EngineKind;
  /** The server's own flags (after `vllm serve MODEL` or `python -m <module>`). */
  args: string[];
  /** `vllm serve MODEL`'s positional model, when given that way. */
  model?: string;
}

const SHELLS = /(^|\/)(sh|bash|dash|ash|zsh)$/;
const PYTHON = /(^|\/)python[0-9.]*$/;
// Kubernetes expands `$(VAR)` in command and args itself (dependent env vars), before any shell.
const KUBE_VAR = /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g;

/** The script of `sh -c SCRIPT …` (command and args joined as the container runtime does), or undefined. */
export function shellScript(argv: readonly string[]): string | undefined {
  if (!SHELLS.test(argv[0] ?? '')) return undefined;
  const c = argv.indexOf('-c', 1);
  // `sh -c` flags may be bundled (`-ec`, `-xc`).
  const i = c >= 0 ? c : argv.findIndex((a, j) => j > 0 && /^-[a-z]*c[a-z]*$/.test(a));
  return i > 0 && argv[i + 1] !== undefined ? argv[i + 1] : undefined;
}

/**
 * The simple commands a command line runs: itself, or each command of its `sh -c` script
 * (split at `;`, `&&`, `||`, `|`, `&`, newlines; `$(…)` substitutions are words, not commands).
 */
export function commandsOf(argv: readonly string[]): string[][] {
  const script = shellScript(argv);
  if (script === undefined) return argv.length > 0 ? [argv.slice()] : [];
  const tokens = parse(script.replace(KUBE_VAR, '$$$1'), (name) => `$${name}`);
  const out: string[][] = [];
  let cur: string[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (typeof t === 'string') {
      if (depth === 0) cur.push(t);
      continue;
    }
    if ('comment' in t) continue;
    if ('op' in t && t.op === '(') depth++;
    else if ('op' in t && t.op === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && 'op' in t && t.op !== 'glob') {
      if (cur.length > 0) out.push(cur);
      cur = [];
    } else if (depth === 0 && 'pattern' in t) cur.push(String(t.pattern));
  }
  if (cur.length > 0) out.push(cur);
  // Leading `VAR=value` assignments and `exec` are not the program.
  return out.map((c) => {
    let i = 0;
    while (i < c.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(c[i]) || c[i] === 'exec')) i++;
    return c.slice(i);
  }).filter((c) => c.length > 0);
}

/** The engine server `cmd` (one simple command) starts, or undefined. */
export function engineOf(cmd: readonly string[]): EngineInvocation | undefined {
  const program = cmd[0] ?? '';
  if (/(^|\/)vllm$/.test(program) && cmd[1] === 'serve') {
    const rest = cmd.slice(2);
    return rest[0] !== undefined && !rest[0].startsWith('-') ? { engine: 'vLLM', model: rest[0], args: rest.slice(1) } : { engine: 'vLLM', args: rest };
  }
  if (PYTHON.test(program)) {
    const m = cmd.indexOf('-m');
    const module = m > 0 ? cmd[m + 1] : undefined;
    if (module === undefined) return undefined;
    if (module.startsWith('vllm.entrypoints')) return { engine: 'vLLM', args: cmd.slice(m + 2) };
    if (module.startsWith('sglang.launch_server')) return { engine: 'SGLang', args: cmd.slice(m + 2) };
  }
  return undefined;
}

/** The last engine server a command line starts (a script may prepare before it serves), or undefined. */
export function findEngine(argv: readonly string[]): EngineInvocation | undefined {
  let found: EngineInvocation | undefined;
  for (const c of commandsOf(argv)) found = engineOf(c) ?? found;
  return found;
}

/** True for images of the engines the simulator stands in for (vllm/vllm-openai, lmsysorg/sglang, …). */
export function engineOfImage(image: string | undefined): EngineKind | undefined {
  const repo = (image ?? '').split('@')[0].replace(/:[^/]*$/, '').toLowerCase();
  const last = repo.split('/').pop() ?? '';
  if (/^vllm(-|$)/.test(last) || /(^|\/)vllm\//.test(repo)) return 'vLLM';
  if (/^sglang(-|$)/.test(last) || /(^|\/)lmsysorg\//.test(repo)) return 'SGLang';
  return undefined;
}

// Flags the actuator sets itself (the port it allocated, loopback).
const PLACED = new Set(['--port', '--host']);

function flagValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) return args[i + 1];
    if (args[i].startsWith(`${flag}=`)) return args[i].slice(flag.length + 1);
  }
  return undefined;
}

// PD role from vLLM's --kv-transfer-config or SGLang's --disaggregation-mode.
function pdRole(inv: EngineInvocation): 'prefill' | 'decode' | undefined {
  const mode = flagValue(inv.args, '--disaggregation-mode');
  if (mode === 'prefill' || mode === 'decode') return mode;
  const raw = flagValue(inv.args, '--kv-transfer-config');
  if (raw === undefined) return undefined;
  try {
    const role = (JSON.parse(raw) as { kv_role?: unknown }).kv_role;
    return role === 'kv_producer' ? 'prefill' : role === 'kv_consumer' ? 'decode' : undefined;
  } catch {
    return undefined; // not JSON: the engine itself would refuse it; the simulator serves both
  }
}

/**
 * The simulator's arguments standing in for a hand-written container: the engine's own flags
 * (the simulator accepts and ignores those it does not model) with the served model name, the
 * engine kind and the PD role made explicit; for an engine image whose command starts no
 * server (a Ray worker joining its leader), the engine kind only. Undefined for other images.
 */
export function standInArgs(command: readonly string[], args: readonly string[], image: string | undefined): string[] | undefined {
  const inv = findEngine([...command, ...args]);
  if (inv === undefined) {
    const kind = engineOfImage(image);
    return kind === undefined ? undefined : ['--engine', kind === 'SGLang' ? 'sglang' : 'vllm'];
  }
  const out: string[] = [];
  for (let i = 0; i < inv.args.length; i++) {
    const a = inv.args[i];
    const name = a.split('=')[0];
    if (PLACED.has(name)) {
      if (!a.includes('=')) i++;
      continue;
    }
    out.push(a);
  }
  const model = inv.model ?? flagValue(inv.args, '--model') ?? flagValue(inv.args, '--model-path');
  if (inv.model !== undefined) out.unshift('--model', inv.model);
  else if (flagValue(inv.args, '--model') === undefined && model !== undefined) out.push('--model', model);
  const role = pdRole(inv);
  if (role !== undefined && flagValue(out, '--role') === undefined) out.push('--role', role);
  out.push('--engine', inv.engine === 'SGLang' ? 'sglang' : 'vllm');
  return out;
}
