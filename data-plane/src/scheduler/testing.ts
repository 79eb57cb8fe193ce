// Builders for tests of the scheduler and its callers: complete views from a few fields.
import type { Hasher } from './hasher.js';
import type { EndpointView, RequestInfo } from './types.js';

/** An idle, healthy endpoint with the given fields overridden. */
export function endpoint(id: string, fields: Partial<EndpointView> = {}): EndpointView {
  return {
    id,
    address: `127.0.0.1:${8000 + (id.length % 100)}`,
    modelServer: 'ms',
    role: 'both',
    adapters: [],
    inFlight: 0,
    waiting: 0,
    running: 0,
    kvUsage: 0,
    sampleAgeMs: 0,
    ...fields,
  };
}

/** A request for model `m` with the given fields overridden. */
export function request(fields: Partial<RequestInfo> = {}): RequestInfo {
  return {
    requestId: 'r1',
    model: 'm',
    headers: {},
    promptText: '',
    nowMs: 0,
    random: 0.5,
    ...fields,
  };
}

/** A deterministic pure-JS 64-bit hash (FNV-1a + murmur finalizer) for tests that must not await xxhash-wasm. */
export function fnvHasher(): Hasher {
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  return {
    h64(input, seed) {
      let h = (0xcbf29ce484222325n ^ seed) & mask;
      for (let i = 0; i < input.length; i++) {
        h ^= BigInt(input.charCodeAt(i));
        h = (h * prime) & mask;
      }
      // fmix64: FNV alone mixes the last characters poorly.
      h ^= h >> 33n;
      h = (h * 0xff51afd7ed558ccdn) & mask;
      h ^= h >> 33n;
      h = (h * 0xc4ceb9fe1a85ec53n) & mask;
      h ^= h >> 33n;
      return h;
    },
  };
}
