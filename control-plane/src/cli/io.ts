// What a command needs from the outside world, passed in so commands can be driven by tests
// and so no command reaches for process globals on its own.

export interface CliIO {
  /** Writes one line (or block) to stdout. */
  out(text: string): void;
  /** Writes one line (or block) to stderr. */
  err(text: string): void;
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
  nowMs(): number;
  /** Ends long-running commands (`events --follow`, `up`) besides SIGINT/SIGTERM; tests use it. */
  stop?: AbortSignal;
  /** stdout is a terminal (`mi top` redraws in place); absent: not one. */
  isTTY?: boolean;
}

/** Options every command inherits from the root program. */
export interface GlobalOptions {
  natsUrl?: string;
}

/** The real process's IO. */
export function processIO(): CliIO {
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    stdin: process.stdin,
    env: process.env,
    nowMs: Date.now,
    isTTY: process.stdout.isTTY === true,
  };
}
