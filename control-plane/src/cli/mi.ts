// The `mi` command line: apply, get, delete, events, top, replay, up, keys (controller, webhook and install run in mi-k8s). Only this file decides the exit
// code; commands throw typed errors.
import { Command, CommanderError } from 'commander';
import { applyCommand } from './commands/apply.js';
import { deleteCommand } from './commands/delete.js';
import { eventsCommand } from './commands/events.js';
import { getCommand } from './commands/get.js';
import { topCommand } from './commands/top.js';
import { replayCommand } from './commands/replay.js';
import { renderCommand } from './commands/render.js';
import { upCommand } from './commands/up.js';
import { FORWARDED_COMMANDS, forwardedCommand } from './commands/forward.js';
import { downloadCommand } from './commands/download.js';
import { keysCommand } from './commands/keys.js';
import { describeError, exitCodeFor, EXIT } from './exit.js';
import { processIO, type CliIO, type GlobalOptions } from './io.js';

/** Builds the program; `io` carries stdout/stderr/stdin/env/clock; `onForwardExit` gets a forwarded command's exit code. */
export function buildProgram(io: CliIO, onForwardExit: (code: number) => void = () => {}): Command {
  const program = new Command('mi')
    .description('MatrixInfer: declare models as resources, follow every change as an event')
    .option('--nats-url <url>', 'NATS server (env NATS_URL; default nats://127.0.0.1:4222)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  for (const cmd of [applyCommand(io, globals), getCommand(io, globals), deleteCommand(io, globals), eventsCommand(io, globals), topCommand(io, globals), replayCommand(io, globals), renderCommand(io), upCommand(io, globals), downloadCommand(io), keysCommand(io)]) {
    program.addCommand(cmd.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) }));
  }
  for (const [name, description] of FORWARDED_COMMANDS) program.addCommand(forwardedCommand(name, description, io, onForwardExit, globals));
  return program;
}

/** Runs `mi` with `argv` (user arguments only); resolves to the exit code. */
export async function runMi(argv: string[], io: CliIO): Promise<number> {
  let forwarded: number | undefined;
  const program = buildProgram(io, (code) => { forwarded = code; });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return forwarded ?? EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander; usage errors were already printed.
      return err.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    }
    for (const line of describeError(err)) io.err(line);
    if (io.env.MI_DEBUG) io.err(String((err as Error).stack));
    return exitCodeFor(err);
  }
}

// Run directly (`node --import tsx mi.ts`), through the bin shim (bin/mi.js), or its npm link (.bin/mi).
const isMain = process.argv[1] !== undefined && /(^|[\\/])mi(\.[jt]s)?$/.test(process.argv[1]);
if (isMain) {
  const code = await runMi(process.argv.slice(2), processIO());
  // Flush stdout before exiting: a piped `mi get -o json` must not be cut short.
  process.stdout.write('', () => process.exit(code));
}
