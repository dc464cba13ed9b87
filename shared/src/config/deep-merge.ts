/**
 * ActiveSupport's `deep_merge`: hashes merge recursively; anything else (arrays, scalars, nil)
 * from `over` replaces the value in `base`.
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainHash(base) || !isPlainHash(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = key in out ? deepMerge(out[key], value) : value;
  }
  return out;
}

export function isPlainHash(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}
