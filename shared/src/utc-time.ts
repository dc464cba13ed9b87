/**
 * `Date.prototype.toISOString`'s text (`2026-12-02T13:23:38.242Z`), built from the UTC fields. The agent
 * stamps its log lines, journal records and inventories with it: on Node 20 (V8 11.3) `toISOString` also
 * computes the local time zone, which loads ICU's zone data and names (≈ 2 MiB of the executable kept in
 * memory for the process's life) for a text that never shows the zone (BENCHMARKS.md, "Agent at idle").
 */
export function isoTime(at: Date | number = Date.now()): string {
  const d = typeof at === 'number' ? new Date(at) : at;
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999 || Number.isNaN(year)) return d.toISOString();
  return `${pad(year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}Z`;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
