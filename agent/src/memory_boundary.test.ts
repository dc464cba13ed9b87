/**
 * The agent idles on every host for months, so what its modules load stays in its RSS (issue 11, ≤ 60 MB;
 * BENCHMARKS.md, "Agent at idle"). Two things it used to load and must not again: undici (over half of the
 * bundle, for one request at enrollment; node's https does it) and `Date.prototype.toISOString`, which on
 * Node 20 loads ICU's time-zone data for a text without a zone (`isoTime` writes the same text).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('.', import.meta.url));

function runtimeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return runtimeFiles(full);
    return name.endsWith('.js') && !name.endsWith('.test.js') ? [full] : [];
  });
}

test('agent runtime modules neither import undici nor call toISOString', () => {
  const files = runtimeFiles(dist);
  assert.ok(files.some((f) => f.endsWith(join('cli', 'main.js'))));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /(?:from|import)\s*\(?\s*['"]undici['"]/, `${file} imports undici`);
    assert.doesNotMatch(text, /\.toISOString\(/, `${file} calls toISOString: use isoTime from @drover/shared/utc-time`);
  }
});
