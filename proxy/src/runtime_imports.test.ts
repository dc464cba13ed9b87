/** The image ships proxy/dist with only the node binary: runtime files may import node built-ins only. */
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
    return name.endsWith('.js') && !name.endsWith('.test.js') && !name.startsWith('test_') ? [full] : [];
  });
}

test('runtime modules import only node: built-ins and their own files', () => {
  const files = runtimeFiles(dist);
  assert.ok(files.some((f) => f.endsWith(join('cli', 'main.js'))));
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      assert.ok(m[1]!.startsWith('node:') || m[1]!.startsWith('./') || m[1]!.startsWith('../'), `${file} imports ${m[1]}`);
    }
  }
});
