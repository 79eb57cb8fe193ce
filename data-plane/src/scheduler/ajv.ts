// ajv 8 loader. ajv 8 is installed as a dependency of @matrixinfer/schemas only; from data-plane
// a bare `import 'ajv'` resolves the hoisted ajv 6 (pulled in by eslint). Until data-plane
// declares ajv itself, load ajv 8 from our own resolution when it is v8, else from schemas'.
import { createRequire } from 'node:module';

/** The part of an ajv 8 error we render. */
export interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** A compiled validator. */
export interface AjvValidate {
  (data: unknown): boolean;
  errors?: AjvError[] | null;
}

/** The part of an ajv 8 instance we use. */
export interface AjvLike {
  compile(schema: object): AjvValidate;
}

type AjvCtor = new (opts: { allErrors: boolean }) => AjvLike;

function loadAjv8(): AjvCtor {
  const own = createRequire(import.meta.url);
  const candidates: (() => string)[] = [() => import.meta.url, () => own.resolve('@matrixinfer/schemas')];
  for (const from of candidates) {
    try {
      const mod = createRequire(from())('ajv') as { Ajv?: AjvCtor };
      if (typeof mod.Ajv === 'function') return mod.Ajv; // only ajv >= 8 exports the named class
    } catch {
      // try the next location
    }
  }
  throw new Error('ajv 8 not found (needed by the scheduler config validator)');
}

/** Creates an ajv 8 instance reporting all errors. */
export function createAjv(): AjvLike {
  const Ajv = loadAjv8();
  return new Ajv({ allErrors: true });
}
