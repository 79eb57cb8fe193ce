// Random trace and span ids for the gateway's spans. Random bytes are drawn a pool at a time
// (one randomFill per 256 ids), so an id costs one hex conversion; the byte source is passed
// in, so tests can make ids deterministic.
import { randomFillSync } from 'node:crypto';

/** Fills a buffer with random bytes. */
export type RandomFill = (buf: Buffer) => void;

const POOL_BYTES = 16 * 256;

/** Source of W3C trace ids (16 bytes) and span ids (8 bytes), never all zero. */
export class IdSource {
  private readonly pool = Buffer.alloc(POOL_BYTES);
  private offset = POOL_BYTES;
  private readonly fill: RandomFill;

  constructor(fill: RandomFill = randomFillSync) {
    this.fill = fill;
  }

  /** 32 lowercase hex digits. */
  traceId(): string {
    return this.next(16);
  }

  /** 16 lowercase hex digits. */
  spanId(): string {
    return this.next(8);
  }

  private next(n: number): string {
    for (;;) {
      if (this.offset + n > POOL_BYTES) {
        this.fill(this.pool);
        this.offset = 0;
      }
      const from = this.offset;
      this.offset += n;
      // All-zero ids are invalid (W3C); a zero draw is simply skipped.
      for (let i = from; i < from + n; i++) if (this.pool[i] !== 0) return this.pool.toString('hex', from, from + n);
    }
  }
}
