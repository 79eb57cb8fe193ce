// Stream-idle timeouts without a timer per request: attempts in flight register here, note
// the coarse clock on every byte (a field store, no clock read per chunk), and one sweep every
// `periodMs` ends those that have been silent past their limit. Precision: one period.
// The watched set is an array with each member's index kept on the member (swap-remove): no
// hashing per attempt on the hot path.

/** An attempt in flight that can stall. */
export interface IdleWatched {
  /** Silence (ms) that ends the attempt. */
  idleLimitMs: number;
  /** The watch's coarse clock at the last byte (or at the start of the attempt). */
  lastByteMs: number;
  /** Position in the watch (-1: not watched); only the watch writes it. */
  idleSlot: number;
  /** Called once when the limit passed; the attempt is already unregistered. */
  onIdle(): void;
}

/** One gateway's stall watch; the clock comes in, the sweep can be driven by hand (tests). */
export class IdleWatch {
  /** Coarse now: what attempts store on each byte. */
  nowMs: number;
  private readonly active: IdleWatched[] = [];
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | null = null;

  /** `periodMs` 0 starts no timer: the owner calls sweep(). */
  constructor(clock: () => number, periodMs = 250) {
    this.clock = clock;
    this.nowMs = clock();
    if (periodMs > 0) {
      this.timer = setInterval(() => this.sweep(this.clock()), periodMs);
      this.timer.unref();
    }
  }

  /** Starts watching an attempt, counting its silence from now. */
  add(x: IdleWatched): void {
    x.lastByteMs = this.nowMs;
    if (x.idleSlot >= 0) return;
    x.idleSlot = this.active.length;
    this.active.push(x);
  }

  /** Stops watching (the attempt ended, or it is between attempts). */
  remove(x: IdleWatched): void {
    const i = x.idleSlot;
    if (i < 0) return;
    const last = this.active.pop()!;
    if (last !== x) {
      this.active[i] = last;
      last.idleSlot = i;
    }
    x.idleSlot = -1;
  }

  /** Attempts watched now. */
  get size(): number {
    return this.active.length;
  }

  /** Advances the coarse clock and ends every attempt silent for its limit or longer. */
  sweep(nowMs: number): void {
    this.nowMs = nowMs;
    if (this.active.length === 0) return;
    const stalled: IdleWatched[] = [];
    for (const x of this.active) if (nowMs - x.lastByteMs >= x.idleLimitMs) stalled.push(x);
    for (const x of stalled) {
      this.remove(x);
      x.onIdle();
    }
  }

  /** Stops the sweep timer; nothing is ended. */
  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const x of this.active) x.idleSlot = -1;
    this.active.length = 0;
  }
}
