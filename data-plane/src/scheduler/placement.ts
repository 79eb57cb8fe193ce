// Wire format of a prefix placement shared between gateway replicas (the gateway publishes it on
// NATS from PrefixIndexOptions.onPlacement and feeds received ones to applyPeerPlacement).
import { PlacementDecodeError } from './errors.js';
import type { Placement, PrefixIndex } from './prefix-index.js';

/** JSON message: hashes as 16-digit hex strings (JSON has no 64-bit integers). */
export interface PlacementMessage {
  v: 1;
  /** Id of the gateway replica that recorded it (receivers drop their own). */
  origin: string;
  endpointId: string;
  model?: string;
  capacityBlocks?: number;
  blockHashes: string[];
}

/** Max hashes accepted in one message (bounded like the scorer's maxBlocks cap). */
const MAX_HASHES = 4096;

/** Serializes a placement recorded by gateway `origin`. */
export function encodePlacement(origin: string, p: Placement): string {
  const msg: PlacementMessage = {
    v: 1,
    origin,
    endpointId: p.endpointId,
    blockHashes: p.blockHashes.map((h) => h.toString(16).padStart(16, '0')),
  };
  if (p.model !== undefined) msg.model = p.model;
  if (p.capacityBlocks !== undefined) msg.capacityBlocks = p.capacityBlocks;
  return JSON.stringify(msg);
}

const HEX64 = /^[0-9a-f]{1,16}$/;

/** Parses a placement message; throws PlacementDecodeError naming what is wrong. */
export function decodePlacement(data: string | Uint8Array): { origin: string; placement: Placement } {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
  } catch (err) {
    throw new PlacementDecodeError('placement message is not JSON', { cause: err });
  }
  const m = raw as Partial<PlacementMessage> | null;
  if (!m || typeof m !== 'object') throw new PlacementDecodeError('placement message is not an object');
  if (m.v !== 1) throw new PlacementDecodeError(`unsupported placement version ${String(m.v)}`);
  if (typeof m.origin !== 'string' || typeof m.endpointId !== 'string' || m.endpointId === '') {
    throw new PlacementDecodeError('placement needs string origin and endpointId');
  }
  if (!Array.isArray(m.blockHashes) || m.blockHashes.length > MAX_HASHES) {
    throw new PlacementDecodeError(`blockHashes must be an array of at most ${MAX_HASHES}`);
  }
  const blockHashes = m.blockHashes.map((h, i) => {
    if (typeof h !== 'string' || !HEX64.test(h)) throw new PlacementDecodeError(`blockHashes[${i}] is not 64-bit hex`);
    return BigInt(`0x${h}`);
  });
  if (m.capacityBlocks !== undefined && !(Number.isInteger(m.capacityBlocks) && m.capacityBlocks > 0)) {
    throw new PlacementDecodeError('capacityBlocks must be a positive integer');
  }
  const placement: Placement = { endpointId: m.endpointId, blockHashes };
  if (typeof m.model === 'string') placement.model = m.model;
  if (m.capacityBlocks !== undefined) placement.capacityBlocks = m.capacityBlocks;
  return { origin: m.origin, placement };
}

/**
 * Decodes a peer's message and records it in `index` as a peer placement (not re-published).
 * Returns false for this replica's own messages (`selfOrigin`); throws PlacementDecodeError on
 * a malformed one.
 */
export function applyPeerPlacement(index: PrefixIndex, data: string | Uint8Array, selfOrigin: string): boolean {
  const { origin, placement } = decodePlacement(data);
  if (origin === selfOrigin) return false;
  index.recordPlacement(placement.endpointId, placement.blockHashes, {
    source: 'peer',
    capacityBlocks: placement.capacityBlocks,
    model: placement.model,
  });
  return true;
}
