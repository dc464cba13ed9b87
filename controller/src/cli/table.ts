/** Columns padded to the widest cell (the last one left as is), joined by `gap`. */
export function table(rows: string[][], gap = '  '): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join(gap)).join('\n');
}
