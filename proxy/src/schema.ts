/**
 * Tiny runtime validators for bytes that cross a boundary (RPC messages, the state file).
 * The proxy image carries only node, so no zod here.
 */

export class SchemaError extends Error {}

export type Check<T> = (value: unknown, at: string) => T;

export const string: Check<string> = (v, at) => {
  if (typeof v !== 'string') throw new SchemaError(`${at}: expected a string`);
  return v;
};

export const number: Check<number> = (v, at) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new SchemaError(`${at}: expected a number`);
  return v;
};

export const boolean: Check<boolean> = (v, at) => {
  if (typeof v !== 'boolean') throw new SchemaError(`${at}: expected a boolean`);
  return v;
};

export function array<T>(item: Check<T>): Check<T[]> {
  return (v, at) => {
    if (!Array.isArray(v)) throw new SchemaError(`${at}: expected an array`);
    return v.map((x, i) => item(x, `${at}[${i}]`));
  };
}

/** null/undefined become the fallback; anything else must pass `check`. */
export function withDefault<T>(check: Check<T>, fallback: T): Check<T> {
  return (v, at) => (v === undefined || v === null ? fallback : check(v, at));
}

type Shape = Record<string, Check<unknown>>;
export type Infer<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

/** Unknown keys are ignored, so newer writers stay readable. */
export function object<S extends Shape>(shape: S): Check<Infer<S>> {
  return (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(`${at}: expected an object`);
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      out[key] = check((v as Record<string, unknown>)[key], at ? `${at}.${key}` : key);
    }
    return out as Infer<S>;
  };
}
