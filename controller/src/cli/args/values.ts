import { usageError } from '../framework/errors.js';

// Parsers for option values; a bad value is a usage error naming the flag.

/** "HOST:PORT", ":PORT", "[v6]:PORT" → parts; PORT 0 means "any free port". */
export function parseListen(value: string, usage: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw usageError(`--listen: expected HOST:PORT, got "${value}"`, usage);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** "k=v,k2=v2" or repeated "k=v" words → record. */
export function parseLabels(values: string[], flag: string, usage: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values.flatMap((x) => x.split(',')).filter(Boolean)) {
    const i = v.indexOf('=');
    if (i <= 0) throw usageError(`${flag}: expected key=value, got "${v}"`, usage);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** "90s", "15m", "1h", "7d" → seconds. */
export function parseDuration(value: string, flag: string, usage: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(value);
  if (!m) throw usageError(`${flag}: expected a duration like 15m, 1h or 7d, got "${value}"`, usage);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
