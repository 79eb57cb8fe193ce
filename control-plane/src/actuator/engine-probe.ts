// Is an instance's engine installed on this machine? A program is found like a shell finds it
// (an absolute or relative path, else each PATH directory), and `python -m <module>` also needs
// the module importable by that python. A `sh -c` script can run only when every command in it
// can (and `bash FILE`'s FILE exists): a script written for an engine image
// (`bash /vllm-workspace/…; python3 -m vllm…`) is not runnable here merely because sh is.
// Answers are cached by the caller's probe (one per actuator), since a machine does not gain
// vLLM between two instances.
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { commandsOf, findEngine } from '../engine-cli/command-line.js';

// Shell builtins and keywords: never a program to find.
const BUILTINS = new Set(['cd', 'export', 'source', '.', 'set', 'unset', 'exec', 'eval', 'true', 'false', ':', 'echo', 'printf', 'test', '[', 'read', 'wait', 'trap', 'ulimit', 'umask', 'shift', 'exit', 'return', 'if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'do', 'done', 'case', 'esac', 'sleep']);
const SHELL = /(^|\/)(sh|bash|dash|ash|zsh)$/;

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The executable `program` resolves to on `path`, or undefined. */
export function findProgram(program: string, path: string | undefined): string | undefined {
  const runnable = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (program.includes('/')) return runnable(program) ? program : undefined;
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const p = join(dir, program);
    if (runnable(p)) return p;
  }
  return undefined;
}

/** The module of `python -m <module> …` (its top-level package), or undefined for other commands. */
export function pythonModuleOf(argv: readonly string[]): string | undefined {
  if (!/(^|\/)python[0-9.]*$/.test(argv[0] ?? '')) return undefined;
  const i = argv.indexOf('-m');
  return i >= 0 && argv[i + 1] ? argv[i + 1].split('.')[0] : undefined;
}

function importable(python: string, module: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return new Promise((resolve) => {
    const code = `import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(${JSON.stringify(module)}) else 1)`;
    const child = spawn(python, ['-c', code], { env, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('error', () => (clearTimeout(timer), resolve(false)));
    child.once('exit', (c) => (clearTimeout(timer), resolve(c === 0)));
  });
}

/** A cached probe: resolves to true when `argv` (program and arguments, or a `sh -c` script) can run here. */
export function engineProbe(env: NodeJS.ProcessEnv = process.env): (argv: readonly string[]) => Promise<boolean> {
  const cache = new Map<string, Promise<boolean>>();
  const one = (cmd: readonly string[]): Promise<boolean> => {
    if (BUILTINS.has(cmd[0] ?? '')) return Promise.resolve(true);
    const module = pythonModuleOf(cmd);
    // `bash FILE …`: the script file too (a shell with -c is split by commandsOf instead).
    const script = SHELL.test(cmd[0] ?? '') && cmd[1] !== undefined && !cmd[1].startsWith('-') ? cmd[1] : undefined;
    const key = `${cmd[0] ?? ''}\0${module ?? ''}\0${script ?? ''}`;
    let p = cache.get(key);
    if (p === undefined) {
      p = (async () => {
        const program = findProgram(cmd[0] ?? '', env.PATH);
        if (program === undefined) return false;
        if (script !== undefined && !isFile(script)) return false;
        return module === undefined ? true : importable(program, module, env);
      })();
      cache.set(key, p);
    }
    return p;
  };
  return async (argv) => {
    const cmds = commandsOf(argv);
    if (cmds.length === 0) return false;
    for (const c of cmds) if (!(await one(c))) return false;
    return true;
  };
}

/** What to call the engine of `argv` in logs and conditions: `vllm`/`sglang` for their servers (also inside a script), else the program. */
export function engineProgram(argv: readonly string[]): string {
  const inv = findEngine(argv);
  if (inv !== undefined) return inv.engine === 'SGLang' ? 'sglang' : 'vllm';
  return commandsOf(argv)[0]?.[0] ?? argv[0] ?? '';
}
