// The built-in plugins, registered into a fresh registry.
import { leastRequest } from './plugins/least-request/index.js';
import { maxScore } from './plugins/max-score/index.js';
import { createRegistry, type PluginRegistry } from './registry.js';

/** Creates a registry holding every built-in plugin (callers may register more). */
export function createDefaultRegistry(): PluginRegistry {
  const r = createRegistry();
  r.register(leastRequest);
  r.register(maxScore);
  return r;
}
