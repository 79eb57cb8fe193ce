// The shape of our schema data: plain JSON Schema objects (we only need them to be JSON).

/** A JSON Schema node as data; kept loose on purpose (it is fed to ajv and the converters). */
export interface JsonSchema {
  [keyword: string]: unknown;
}

/** One resource kind's schema and the definitions it contributes to the bundle. */
export interface KindSchema {
  kind: string;
  /** The top-level schema of the resource; refers to `#/definitions/...`. */
  schema: JsonSchema;
  /** Definitions of this kind (merged with the common ones into one bundle). */
  definitions: Record<string, JsonSchema>;
}
