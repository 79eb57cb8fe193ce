// `mi-k8s`: the Kubernetes-mode half of `mi`. `mi controller|webhook|install` forward here, so the
// control plane never imports Kubernetes code; only this file decides the exit code.
import { Command, CommanderError } from 'commander';
import { describeError, exitCodeFor, EXIT, processIO, type CliIO } from '@matrixinfer/control-plane';
import { K8S_COMMANDS } from './commands/index.js';

/** Builds the program with every Kubernetes-mode subcommand. */
export function buildK8sProgram(io: CliIO): Command {
  const program = new Command('mi')
    .description('MatrixInfer Kubernetes mode: controller, admission webhooks, install bundle')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  for (const make of K8S_COMMANDS) {
    program.addCommand(make(io).exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) }));
  }
  return program;
}

/** Runs `mi-k8s` with `argv` (user arguments only); resolves to the exit code. */
export async function runK8sCli(argv: string[], io: CliIO): Promise<number> {
  try {
    await buildK8sProgram(io).parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    for (const line of describeError(err)) io.err(line);
    if (io.env.MI_DEBUG) io.err(String((err as Error).stack));
    return exitCodeFor(err);
  }
}

const isMain = process.argv[1] !== undefined && /(^|[\\/])mi-k8s(\.[jt]s)?$/.test(process.argv[1]);
if (isMain) {
  // Started by `mi` (forward.ts): if `mi` dies without relaying a signal (SIGKILL), stop as for
  // SIGTERM instead of running on as an orphan.
  const parent = Number(process.env.MI_PARENT_PID);
  if (Number.isInteger(parent) && parent > 0) {
    const t = setInterval(() => {
      if (process.ppid !== parent) {
        clearInterval(t);
        process.kill(process.pid, 'SIGTERM');
      }
    }, 1000);
    t.unref();
  }
  const code = await runK8sCli(process.argv.slice(2), processIO());
  process.stdout.write('', () => process.exit(code));
}
