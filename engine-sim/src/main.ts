// mi-engine-sim: parses flags, starts one simulator, exits cleanly on SIGTERM/SIGINT and with
// code 70 when a crash fault fires.

import winston from 'winston';
import { parseCli } from './cli-args.js';
import type { SimOptionsInput } from './config.js';
import { SimConfigError } from './errors.js';
import { startSimulator } from './simulator.js';

const CRASH_EXIT_CODE = 70;

async function main(): Promise<void> {
  const log = winston.createLogger({
    level: process.env.LOG_LEVEL ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component: 'engine-sim' },
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
  let input: SimOptionsInput;
  try {
    const parsed = parseCli(process.argv.slice(2));
    input = parsed.input;
    if (parsed.ignored.length > 0) log.warn('ignoring engine arguments the simulator does not model', { ignored: parsed.ignored });
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(0);
    if (!e.code?.startsWith('commander.')) log.error('invalid options', { error: e.message });
    process.exit(2);
  }
  const input2: SimOptionsInput = { port: 8000, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) };
  let sim;
  try {
    sim = await startSimulator({
      ...input2,
      onCrash: () => {
        log.error('simulated crash', { exitCode: CRASH_EXIT_CODE });
        process.exit(CRASH_EXIT_CODE);
      },
    });
  } catch (err) {
    log.error('cannot start', { error: (err as Error).message, code: (err as { code?: string }).code });
    process.exit(err instanceof SimConfigError ? 2 : 1);
  }
  const o = sim.options;
  log.info('listening', {
    url: sim.url, engine: o.engine, model: o.model, profile: o.profile, role: o.role, timeScale: o.timeScale,
    bootstrapPort: sim.bootstrapPort,
  });
  // One line on stdout that scripts and tests can wait for.
  process.stdout.write(`mi-engine-sim listening on ${sim.url}\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
