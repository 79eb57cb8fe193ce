// A real nats-server for tests: random port, temp JetStream store, killed in teardown. Tests
// must never mock NATS; they start one of these per suite.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/** Options of a test server. */
export interface TestNatsServerOptions {
  /** nats-server config text (e.g. an `authorization {}` or `tls {}` block), passed with `-c`. */
  config?: string;
}

function launch(port: number, storeDir: string, configFile?: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const args = [...(configFile ? ['-c', configFile] : []), '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir];
    const child = spawn('nats-server', args, {
      stdio: ['ignore', 'ignore', 'pipe'],
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

/** Starts nats-server with JetStream on a random loopback port and a fresh temp store dir. */
export async function startNatsServer(opts: TestNatsServerOptions = {}): Promise<TestNatsServer> {
  const storeDir = mkdtempSync(join(tmpdir(), 'mi-nats-'));
  let configFile: string | undefined;
  if (opts.config !== undefined) {
    configFile = join(storeDir, 'server.conf');
    writeFileSync(configFile, opts.config, { mode: 0o600 });
  }
  const first = await launch(-1, storeDir, configFile);
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
      ({ child } = await launch(port, storeDir, configFile));
      running = true;
    },
    async close() {
      if (closed) return;
      closed = true;
      process.removeListener('exit', onExit);
      await server.stop();
      rmSync(storeDir, { recursive: true, force: true });
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
