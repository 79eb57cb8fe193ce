// 64-bit hashing for the prefix index and consistent hashing. xxhash-wasm needs an async
// initialisation, so it is done once by the async scheduler factory and passed down.
import xxhash from 'xxhash-wasm';

/** Synchronous 64-bit string hash with a seed (xxhash64 once initialised). */
export interface Hasher {
  h64(input: string, seed: bigint): bigint;
}

/** Initialises xxhash-wasm once and returns a synchronous hasher. */
export async function createHasher(): Promise<Hasher> {
  const api = await xxhash();
  return { h64: (input, seed) => api.h64(input, seed) };
}
