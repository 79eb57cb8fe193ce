// One way to declare typed errors across packages: a family base carries a stable `code`, and each
// error of the family is one line, `codedError(Base, 'Name', CODE)`, instead of a hand-written
// subclass per code (the same constructor repeated in every package's errors.ts).

/** What every coded error's constructor accepts besides its message. */
export interface CodedErrorOptions {
  cause?: unknown;
}

/** A family base: constructed with (code, message, options). */
export type CodedErrorBase<E extends Error = Error> = abstract new (code: never, message: string, options?: CodedErrorOptions) => E;

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
