// Whether a pid names a live process, for lock files: EPERM (alive, owned by someone else)
// counts as alive, so another user's process is never taken for dead.

/** True when a process with this pid exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
