// One way to declare typed errors across packages (schemas is the lowest layer, so every package
// can use it): each package's family base extends CodedError, and each error of the family is one
// line, `codedError(Base, 'Name', CODE)`, instead of a hand-written subclass per code.

/** What every coded error's constructor accepts besides its message. */
export interface CodedErrorOptions {
  cause?: unknown;
}

/** Root of every typed error in the project: a stable `MI_ERR_…` code and an optional cause. */
export class CodedError extends Error {
  override name: string = 'CodedError';
  readonly code: string;
  constructor(code: string, message: string, options?: CodedErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** A family base: constructed with (code, message, options). */
export type CodedErrorBase<E extends Error = Error> = abstract new (code: never, message: string, options?: CodedErrorOptions) => E;

/** A family base `codedFamily` returns: subclassable, built with (code, message, options), code narrowed to C. */
export type CodedFamily<E extends Error, C extends string> = abstract new (code: C, message: string, options?: CodedErrorOptions) => E & { readonly code: C };

/** A family base under `Parent` named `name`, whose `code` is one of `codes`' values (kept as `codes` on the class). */
export function codedFamily<E extends Error, const T extends Record<string, string>>(Parent: CodedErrorBase<E>, name: string, codes: T): CodedFamily<E, T[keyof T]> {
  const P = Parent as unknown as new (code: string, message: string, options?: CodedErrorOptions) => Error;
  const Family = class extends P {
    static readonly codes = codes;
    constructor(code: string, message: string, options?: CodedErrorOptions) {
      super(code, message, options);
      Object.defineProperty(this, 'name', { value: name, enumerable: false, writable: true, configurable: true });
    }
  };
  Object.defineProperty(Family, 'name', { value: name });
  return Family as unknown as CodedFamily<E, T[keyof T]>;
}

/** The class `codedError` returns: constructed with (message, options); instances are `E`. */
export interface CodedErrorClass<E extends Error> {
  new (message: string, options?: CodedErrorOptions): E;
  readonly prototype: E;
  readonly code: string;
}

/** A subclass of `Base` fixed to `code`, whose instances say `name`; `instanceof` works for both. */
export function codedError<E extends Error, C extends string>(Base: CodedErrorBase<E>, name: string, code: C): CodedErrorClass<E & { readonly code: C }> {
  const Parent = Base as unknown as new (code: string, message: string, options?: CodedErrorOptions) => Error;
  const Coded = class extends Parent {
    static readonly code = code;
    constructor(message: string, options?: CodedErrorOptions) {
      super(code, message, options);
      // The family base sets `name` as an instance field; the subclass's name wins.
      Object.defineProperty(this, 'name', { value: name, enumerable: false, writable: true, configurable: true });
    }
  };
  Object.defineProperty(Coded, 'name', { value: name });
  return Coded as unknown as CodedErrorClass<E & { readonly code: C }>;
}

/** The classes `codedErrors` returns, one per table entry, each fixed to its entry's code. */
export type CodedErrorClasses<E extends Error, T extends Record<string, string>> = {
  readonly [K in keyof T]: CodedErrorClass<E & { readonly code: T[K] }>;
};

/** One `codedError` per entry of `table` (class name → code), so a family is declared in one table. */
export function codedErrors<E extends Error, const T extends Record<string, string>>(Base: CodedErrorBase<E>, table: T): CodedErrorClasses<E, T> {
  const out: Record<string, CodedErrorClass<Error>> = {};
  for (const [name, code] of Object.entries(table)) out[name] = codedError(Base, name, code);
  return out as CodedErrorClasses<E, T>;
}
