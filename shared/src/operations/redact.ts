/**
 * Secret values in operation params, and a redactor that removes them from text a person will read
 * (error messages and details: a failed container's logs may print its own environment).
 */

export const REDACTED_TEXT = '[REDACTED]';

/** Params fields that hold secrets: `env.secrets` / `roleEnv.secrets` values, `registry.password`, `tls.privateKeyPem`. */
const SECRET_RECORD_KEYS = new Set(['secrets']);
const SECRET_STRING_KEYS = new Set(['password', 'privateKeyPem']);

/** Every secret value found anywhere in `params` (any depth, so new operations are covered by field name). */
export function secretValuesOf(params: unknown): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, depth: number): void => {
    if (depth > 12 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const v of value) walk(v, depth + 1);
      return;
    }
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (SECRET_STRING_KEYS.has(key) && typeof v === 'string') found.add(v);
      else if (SECRET_RECORD_KEYS.has(key) && v && typeof v === 'object' && !Array.isArray(v)) {
        for (const s of Object.values(v as Record<string, unknown>)) if (typeof s === 'string') found.add(s);
      } else walk(v, depth + 1);
    }
  };
  walk(params, 0);
  return [...found].filter((s) => s.length > 0);
}

/**
 * The forms a secret takes in text: as is, JSON-escaped (health details are JSON; the env file's escaping
 * gives the same `\n`/`\\` forms), and each line of a multi-line value on its own (a PEM key logged line by line).
 */
function formsOf(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  // The env file's escaping is close to JSON's, with quotes left bare.
  const forms = [secret, json, json.replace(/\\"/g, '"')];
  if (/[\r\n]/.test(secret)) for (const line of secret.split(/\r?\n/)) if (line.trim().length >= 8) forms.push(line.trim());
  return forms;
}

/** A function replacing every secret (longest first, so a secret containing another is removed whole) with `[REDACTED]`. */
export function secretRedactor(secrets: readonly string[]): (text: string) => string {
  const forms = [...new Set(secrets.flatMap(formsOf))].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
  if (forms.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const f of forms) if (out.includes(f)) out = out.split(f).join(REDACTED_TEXT);
    return out;
  };
}
