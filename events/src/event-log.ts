// One call for a component's start-up: connect, make sure the streams and buckets exist, and
// hand back the clients and the resource store.
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, type ConnectNatsOptions } from './connect.js';
import { createResourceStore, type ResourceStore } from './resources.js';
import { ensureBuckets, ensureStreams, type EnsureBucketsOptions, type EnsureStreamsOptions } from './setup.js';

export interface EventLog {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  resources: ResourceStore;
  /** Drains and closes the connection. */
  close(): Promise<void>;
}

export interface OpenEventLogOptions extends ConnectNatsOptions {
  /** Create/update streams and buckets (default true; read-only tools may pass false). */
  ensure?: boolean;
  streams?: EnsureStreamsOptions;
  buckets?: EnsureBucketsOptions;
  /** Clock for the resource store; default Date.now. */
  now?: () => number;
  /** `source` of envelopes the resource store writes (e.g. `mi-cli`). */
  source?: string;
}

/** Connects (NatsUnavailableError when unreachable), ensures streams/buckets, returns the clients. */
export async function openEventLog(opts: OpenEventLogOptions): Promise<EventLog> {
  const nc = await connectNats(opts);
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    if (opts.ensure !== false) {
      await ensureStreams(jsm, opts.streams);
      await ensureBuckets(js, jsm, opts.buckets);
    }
    const storeOpts: Parameters<typeof createResourceStore>[0] = { js, jsm };
    if (opts.now) storeOpts.now = opts.now;
    if (opts.source) storeOpts.source = opts.source;
    return { nc, js, jsm, resources: createResourceStore(storeOpts), close: () => nc.drain() };
  } catch (err) {
    await nc.close();
    throw err;
  }
}
