// Subcommands that live in the Kubernetes package (`mi controller`, `mi webhook`, `mi install`):
// `mi` runs the `mi-k8s` entry point as a child with the same arguments and stdio, so the control
// plane never imports Kubernetes code (architecture.md, layering) and users still type one command.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { ControlPlaneError } from '../../errors.js';
import type { CliIO, GlobalOptions } from '../io.js';

/** The commands `mi` forwards to `mi-k8s`, with their one-line help. */
export const FORWARDED_COMMANDS: ReadonlyArray<readonly [string, string]> = [
  ['controller', 'Kubernetes mode: CRD informers, status write-back, Kubernetes actuator, leader election'],
  ['webhook', 'admission webhooks over HTTPS (AdmissionReview admission.k8s.io/v1)'],
  ['install', 'the Kubernetes install bundle (--print writes it as one YAML stream)'],
];

/** Absolute path of the `mi-k8s` entry script, or a typed error naming what is missing. */
export function resolveK8sEntry(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('@matrixinfer/k8s/package.json');
    return join(dirname(pkg), 'bin', 'mi-k8s.js');
  } catch {
    throw new ControlPlaneError('MI_ERR_BAD_ARGUMENT', 'Kubernetes mode needs the @matrixinfer/k8s package (run `npm ci` in the repository)');
  }
}

/**
 * A `mi <name>` command that runs `mi-k8s <name> …args` and resolves to its exit code via
 * `onExit`. `mi`'s own --nats-url (parsed by `mi` wherever it stands) reaches the child as NATS_URL.
 */
export function forwardedCommand(name: string, description: string, io: CliIO, onExit: (code: number) => void, globals: () => GlobalOptions = () => ({})): Command {
  return new Command(name)
    .description(description)
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]')
    .action(async (args: string[]) => {
      const entry = resolveK8sEntry();
      const code = await new Promise<number>((resolve, reject) => {
        const natsUrl = globals().natsUrl;
        const env = { ...process.env, ...io.env, ...(natsUrl !== undefined ? { NATS_URL: natsUrl } : {}), MI_PARENT_PID: String(process.pid) } as NodeJS.ProcessEnv;
        const child = spawn(process.execPath, [entry, name, ...args], { stdio: 'inherit', env });
        // `mi` may be PID 1 of a container: signals sent to it are the child's to handle (stop in order).
        const relay = (sig: NodeJS.Signals) => void child.kill(sig);
        const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
        for (const s of signals) process.on(s, relay);
        const done = () => signals.forEach((s) => process.off(s, relay));
        child.once('error', (err) => (done(), reject(err)));
        child.once('exit', (c, signal) => (done(), resolve(c ?? (signal ? 128 : 1))));
      });
      onExit(code);
    });
}
