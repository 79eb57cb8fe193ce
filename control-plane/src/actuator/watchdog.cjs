// Orphan guard of the local actuator, run as its own small process. The actuator writes the
// current list of child process-group ids to our stdin, one JSON array per line. When stdin
// ends (the actuator exited, even by SIGKILL, since the kernel closes its pipe), we kill those
// groups: SIGTERM, then SIGKILL after a grace period. Plain CommonJS so it starts in ~30 ms
// without tsx.
'use strict';

const GRACE_MS = Number(process.env.MI_WATCHDOG_GRACE_MS || 3000);
let pgids = [];
let buffer = '';

function signal(pid, sig) {
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false;
  }
}

// The actuator's Ctrl-C or SIGTERM must not take us down before we did our job.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    try {
      const v = JSON.parse(line);
      if (Array.isArray(v)) pgids = v.filter((p) => Number.isInteger(p) && p > 1);
    } catch {
      // ignore a malformed line; the next one replaces the list
    }
  }
});
process.stdin.on('end', () => {
  const alive = pgids.filter((p) => signal(p, 'SIGTERM'));
  if (alive.length === 0) process.exit(0);
  const started = Date.now();
  const timer = setInterval(() => {
    const left = alive.filter((p) => signal(p, 0));
    if (left.length === 0 || Date.now() - started >= GRACE_MS) {
      for (const p of left) signal(p, 'SIGKILL');
      clearInterval(timer);
      process.exit(0);
    }
  }, 50);
});
