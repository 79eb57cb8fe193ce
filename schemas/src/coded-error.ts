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
