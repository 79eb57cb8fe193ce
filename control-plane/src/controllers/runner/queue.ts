// A serial task queue: every fold step of a runner goes through one, so events from several
// streams, timers and start-up work never interleave inside the pure state.

export interface SerialQueue {
  /** Runs `task` after every task queued before it; resolves/rejects with its result. */
  run<T>(task: () => Promise<T> | T): Promise<T>;
  /** Resolves when every task queued so far has settled. */
  idle(): Promise<void>;
}

/** Creates an empty queue. */
export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(task: () => Promise<T> | T): Promise<T> {
      const p = tail.then(task);
      tail = p.catch(() => undefined);
      return p;
    },
    idle() {
      return tail.then(() => undefined);
    },
  };
}
