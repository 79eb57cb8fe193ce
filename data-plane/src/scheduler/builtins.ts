// The built-in plugins, registered into a fresh registry.
import { kvCache } from './plugins/kv-cache/index.js';
import { leastLatency } from './plugins/least-latency/index.js';
import { leastRequest } from './plugins/least-request/index.js';
import { loraAffinity } from './plugins/lora-affinity/index.js';
import { maxScore } from './plugins/max-score/index.js';
import { prefixCache } from './plugins/prefix-cache/index.js';
import { random } from './plugins/random/index.js';
import { roundRobin } from './plugins/round-robin/index.js';
import { sessionAffinity } from './plugins/session-affinity/index.js';
import { createRegistry, type PluginRegistry } from './registry.js';

/** Creates a registry holding every built-in plugin (callers may register more). */
export function createDefaultRegistry(): PluginRegistry {
  const r = createRegistry();
  r.register(loraAffinity);
  r.register(random);
  r.register(roundRobin);
  r.register(leastRequest);
  r.register(leastLatency);
  r.register(kvCache);
  r.register(prefixCache);
  r.register(sessionAffinity);
  r.register(maxScore);
  return r;
}
