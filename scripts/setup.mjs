#!/usr/bin/env node
// Makes a fresh checkout runnable: installs npm packages from the lock file when they are
// missing or older than the lock, and nats-server and openssl (the local CA of `mi up`'s TLS)
// via apt when they are missing (root only).
// With --tests (what `npm test` passes) also prometheus, for the Prometheus e2e test (which
// skips, saying so, when it is missing and cannot be installed).
// Uses only Node built-ins because it runs before node_modules exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => process.stderr.write(`[setup] ${msg}\n`);

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function ensureNpmPackages() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  say('installing npm packages from package-lock.json (npm ci)…');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}

function ensureNatsServer() {
  if (process.env.NATS_URL || has('nats-server')) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    say('nats-server is missing. Install it (Debian: `sudo apt-get install nats-server`, v2.9+)');
    say('or set NATS_URL to a running nats-server with JetStream enabled.');
    process.exit(1);
  }
  say('nats-server is missing: installing it with apt-get…');
  aptInstall('nats-server');
}

// `mi up` makes its TLS certificates with the openssl CLI (Node cannot issue X.509 certificates).
function ensureOpenssl() {
  if (process.env.NATS_URL || has('openssl')) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    // Not fatal: `mi up --insecure-nats` needs no certificates, and `mi up` says so itself.
    say('openssl is missing. Install it (Debian: `sudo apt-get install openssl`), or start with `npm start -- --insecure-nats`.');
    return;
  }
  say('openssl is missing: installing it with apt-get…');
  aptInstall('openssl');
}

let aptUpdated = false;
function aptInstall(pkg) {
  if (!aptUpdated) execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  aptUpdated = true;
  execFileSync('apt-get', ['install', '-y', '-qq', pkg], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

// Only the Prometheus e2e test needs it: a missing one is a warning, never a failed set-up.
function ensurePrometheus() {
  if (has('prometheus')) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    say('prometheus is missing (the Prometheus e2e test will be skipped). Install it: `sudo apt-get install prometheus`.');
    return;
  }
  say('prometheus is missing: installing it with apt-get (for the Prometheus e2e test)…');
  try {
    aptInstall('prometheus');
  } catch (err) {
    say(`could not install prometheus (${err.message}); the Prometheus e2e test will be skipped.`);
  }
}

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  say(`Node ${process.versions.node} is too old: MatrixInfer needs Node 20 or newer.`);
  process.exit(1);
}
ensureNatsServer();
ensureOpenssl();
if (process.argv.includes('--tests')) ensurePrometheus();
ensureNpmPackages();
