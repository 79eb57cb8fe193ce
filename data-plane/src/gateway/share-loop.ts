// The loop both consumption sharers (rate-share.ts for global model limits, auth/key-share.ts for
// per-key limits) run: hear peers' JSON messages on one subject (a replica's own are skipped),
// publish this replica's consumption every period, and on stop flush what is left before leaving.
import type { NatsConnection, Subscription } from './nats.js';

/** What one sharer plugs into the loop. */
export interface ShareLoopOptions<M extends { gateway: string }> {
  nc: NatsConnection;
  /** This replica's name: messages it sent itself are not applied again. */
  gateway: string;
  /** Subject (or wildcard) peers' messages arrive on. */
  subject: string;
  /** Default 100 ms. */
  periodMs?: number;
  /** Decodes a message; null when it is not one (ignored). */
  decode(data: Uint8Array): M | null;
  /** Applies one peer's message. */
  apply(m: M): void;
  /** Publishes what this replica took since the last call. */
  publish(): void;
}

/** Runs a sharer's subscribe/publish loop until stopped. */
export class ShareLoop<M extends { gateway: string }> {
  private readonly sub: Subscription;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: ShareLoopOptions<M>) {
    this.sub = o.nc.subscribe(o.subject, {
      callback: (err, msg) => {
        if (err) return;
        const m = o.decode(msg.data);
        if (m === null || m.gateway === o.gateway) return;
        o.apply(m);
      },
    });
    this.timer = setInterval(() => this.flush(), o.periodMs ?? 100);
    this.timer.unref();
  }

  /** Publishes now unless the connection is closed. */
  flush(): void {
    if (!this.o.nc.isClosed()) this.o.publish();
  }

  /** Sends what is left and stops sharing. */
  stop(): void {
    clearInterval(this.timer);
    this.flush();
    this.sub.unsubscribe();
  }
}
