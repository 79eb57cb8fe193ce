// A real nats-server for tests: random port, temp JetStream store, killed in teardown. Tests
// must never mock NATS; they start one of these per suite.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';

export interface TestNatsServer {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Stops the server, keeping its store (for outage tests); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  /** Restarts a stopped server on the same port and store. */
  start(): Promise<void>;
  /** Stops the server and removes its store. Safe to call twice. */
  close(): Promise<void>;
}

const READY = /Listening for client connections on [^:]+:(\d+)/;

export interface StartNatsServerOptions {
  /** nats-server config text (e.g. an `authorization {}` or `tls {}` block), passed with `-c`. */
  config?: string;
  /** Store directory to use (kept by close(): it is the caller's); default a fresh temp dir. */
  storeDir?: string;
  /** JetStream `max_file_store` in bytes (a config file is written beside the store); default the server's (75% of the disk). */
  maxFileStoreBytes?: number;
  /** Client port (e.g. one a client was told before the server exists); default a random free one. */
  port?: number;
  /** Extra files beside the config (relative path → text), for its `include` lines. */
  files?: Record<string, string>;
  /** Extra environment of the server process (its config's `$VAR` references). */
  env?: Record<string, string>;
}

function launch(port: number, storeDir: string, configFile: string | null, env: Record<string, string> | undefined): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const config = configFile ? ['-c', configFile] : [];
    const child = spawn('nats-server', [...config, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: env === undefined ? process.env : { ...process.env, ...env },
    });
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server did not become ready in 10 s:\n${log}`));
    }, 10_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start nats-server (is it installed? apt-get install nats-server): ${err.message}`));
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const m = READY.exec(log);
      // JetStream is usable once the server says it is ready, which comes after the listen line.
      if (m && log.includes('Server is ready')) {
        clearTimeout(timer);
        child.stderr!.removeAllListeners('data');
        child.stderr!.resume();
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code} before it was ready:\n${log}`));
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

/** Starts nats-server with JetStream on a random loopback port and a fresh temp store dir (or the options'). */
export async function startNatsServer(opts: StartNatsServerOptions = {}): Promise<TestNatsServer> {
  const ownStore = opts.storeDir === undefined;
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), 'mi-nats-'));
  let configDir: string | null = null;
  let configFile: string | null = null;
  if (opts.maxFileStoreBytes !== undefined || opts.config !== undefined || opts.files !== undefined) {
    // Outside the store: a full store must not keep the server from reading its config.
    configDir = mkdtempSync(join(tmpdir(), 'mi-nats-conf-'));
    configFile = join(configDir, 'nats-server.conf');
    // The store dir comes from -sd (the server refuses it twice).
    const limit = opts.maxFileStoreBytes === undefined ? '' : `jetstream {\n  max_file_store: ${Math.floor(opts.maxFileStoreBytes)}\n}\n`;
    writeFileSync(configFile, `${opts.config ?? ''}\n${limit}`, { mode: 0o600 });
    for (const [rel, text] of Object.entries(opts.files ?? {})) {
      const file = join(configDir, rel);
      if (!file.startsWith(configDir + sep)) throw new TypeError(`config file path ${rel} leaves the config directory`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text, { mode: 0o600 });
    }
  }
  const first = await launch(opts.port ?? -1, storeDir, configFile, opts.env);
  let child = first.child;
  const port = first.port;
  let running = true;
  let closed = false;
  const server: TestNatsServer = {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    storeDir,
    async stop() {
      if (!running) return;
      running = false;
      await waitExit(child);
    },
    async start() {
      if (running) return;
      ({ child } = await launch(port, storeDir, configFile, opts.env));
      running = true;
    },
    async close() {
      if (closed) return;
      closed = true;
      process.removeListener('exit', onExit);
      await server.stop();
      if (ownStore) rmSync(storeDir, { recursive: true, force: true });
      if (configDir) rmSync(configDir, { recursive: true, force: true });
    },
  };
  // A test process that dies must not leave a server behind; a closed server needs no guard
  // (one listener per server would pile up over a long suite).
  const onExit = () => {
    if (running) child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  return server;
}
