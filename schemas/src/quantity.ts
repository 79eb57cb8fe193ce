// Kubernetes quantities ("500m", "16Gi", "1e3", 10) as plain numbers, for the places we compute
// with them (autoscaling targets, GPU counts). The grammar is QUANTITY_PATTERN in kinds/common.ts.
import { QUANTITY_PATTERN } from './kinds/common.js';
import { SchemaError } from './errors.js';

const QUANTITY = new RegExp(QUANTITY_PATTERN);

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A value that is not a Kubernetes quantity. */
export class InvalidQuantityError extends SchemaError {
  readonly input: unknown;
  constructor(input: unknown) {
    super('MI_ERR_QUANTITY', `not a Kubernetes quantity: ${JSON.stringify(input)} (expected e.g. 10, "5", "500m", "1Gi")`);
    this.name = 'InvalidQuantityError';
    this.input = input;
  }
}

/** Whether `v` is a quantity: a finite number, or a string in the Kubernetes grammar. */
export function isQuantity(v: unknown): v is number | string {
  return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && QUANTITY.test(v));
}

/**
 * The numeric value of a quantity: 10 -> 10, "5" -> 5, "500m" -> 0.5, "1Gi" -> 1073741824,
 * "2e3" -> 2000. Throws InvalidQuantityError for anything else.
 */
export function parseQuantity(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string' || !QUANTITY.test(v)) throw new InvalidQuantityError(v);
  const m = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$/.exec(v);
  if (!m) throw new InvalidQuantityError(v);
  const base = Number(m[1]);
  const suffix = m[2];
  if (suffix in BINARY) return base * BINARY[suffix];
  if (suffix in DECIMAL) return base * DECIMAL[suffix];
  // Decimal exponent ("e3", "E-2"); the pattern has already checked its form.
  return base * 10 ** Number(suffix.slice(1));
}
