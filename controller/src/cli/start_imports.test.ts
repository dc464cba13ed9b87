/**
 * Every `drover` run loads what `cli/main.js` imports statically, so each start pays for it (ARCHITECTURE.md,
 * "A short process starts fast"). Two things that start must not load: the protocol's index, whose message
 * schemas only the controller and the agent use (the CLI takes its parts: `@drover/shared/protocol/pin`, …),
 * and readline, which only a confirmation needs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = dirname(fileURLToPath(new URL('.', import.meta.url)));

/** Static `import … from '…'` and `export … from '…'` specifiers; `await import(…)` loads later, when needed. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/^import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

/** Our modules `entry` loads at start, with the packages and builtins each of them imports. */
function startGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (graph.has(file)) continue;
    const specifiers = staticImports(file);
    graph.set(file, specifiers);
    for (const s of specifiers) {
      if (!s.startsWith('.')) continue;
      const target = resolve(dirname(file), s);
      assert.ok(existsSync(target), `${file} imports ${s}, not found`);
      pending.push(target);
    }
  }
  return graph;
}

test('drover\'s start loads neither the protocol\'s index nor readline', () => {
  const graph = startGraph(resolve(dist, 'cli', 'main.js'));
  assert.ok([...graph.keys()].some((f) => f.endsWith(resolve('/', 'cli', 'tree.js'))), 'the command tree is part of the start');
  for (const [file, specifiers] of graph) {
    assert.ok(!specifiers.includes('@drover/shared/protocol'), `${file} imports @drover/shared/protocol: import the part it needs (…/protocol/pin, …/limits)`);
    assert.ok(!specifiers.some((s) => s === 'node:readline' || s === 'node:readline/promises'), `${file} imports readline at start: import it where it asks`);
  }
});
