import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { removeStaleOutputs } from './clean-dist.mjs';

function write(root, file, text = '') {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

// What tsc emits for src/<stem>.ts (declaration + source map, as tsconfig.base.json asks).
function compiled(root, stem, js) {
  const depth = stem.split('/').length;
  write(root, `dist/${stem}.js`, `${js}\n//# sourceMappingURL=${stem.split('/').pop()}.js.map\n`);
  write(root, `dist/${stem}.js.map`, JSON.stringify({ version: 3, sources: [`${'../'.repeat(depth)}src/${stem}.ts`] }));
  write(root, `dist/${stem}.d.ts`, 'export {};\n');
}

function fixturePackage(t) {
  const root = mkdtempSync(join(tmpdir(), 'clean-dist-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

test('removes every output of a deleted source, keeps live ones and non-tsc files', (t) => {
  const root = fixturePackage(t);
  write(root, 'src/live.test.ts');
  compiled(root, 'live.test', '');
  compiled(root, 'gone.test', '');
  compiled(root, 'old/dir/module', '');
  write(root, 'dist/drover/main.js', 'bundle');
  write(root, 'dist/drover/chunk-ABC.js', 'chunk');
  // A bundle's source map (should one be made) names many sources, some of them .ts through tsc's maps.
  write(root, 'dist/drover/chunk-ABC.js.map', JSON.stringify({ version: 3, sources: ['../../src/cli/main.ts', '../cli/main.js'] }));

  const removed = removeStaleOutputs(root);

  assert.deepEqual(removed, [
    'dist/gone.test.d.ts', 'dist/gone.test.js', 'dist/gone.test.js.map',
    'dist/old/dir/module.d.ts', 'dist/old/dir/module.js', 'dist/old/dir/module.js.map',
  ]);
  assert.ok(existsSync(join(root, 'dist/live.test.js')));
  assert.ok(!existsSync(join(root, 'dist/old')), 'emptied directories go too');
  assert.equal(readFileSync(join(root, 'dist/drover/main.js'), 'utf8'), 'bundle');
  assert.ok(existsSync(join(root, 'dist/drover/chunk-ABC.js')));
  assert.ok(existsSync(join(root, 'dist/drover/chunk-ABC.js.map')));
});

test('a stale output is recognised by its map alone (a package built without declarations)', (t) => {
  const root = fixturePackage(t);
  compiled(root, 'lib/gone', '');
  rmSync(join(root, 'dist/lib/gone.d.ts'));
  assert.deepEqual(removeStaleOutputs(root), ['dist/lib/gone.js', 'dist/lib/gone.js.map']);
});

test('a package without dist/ is left alone', (t) => {
  const root = fixturePackage(t);
  assert.deepEqual(removeStaleOutputs(root), []);
});

test('node-test.mjs does not run a compiled test whose source was deleted', (t) => {
  const root = fixturePackage(t);
  write(root, 'src/kept.test.ts');
  compiled(root, 'kept.test', "import { test } from 'node:test'; test('kept', () => {});");
  compiled(root, 'deleted.test', "import { test } from 'node:test'; test('deleted', () => { throw new Error('stale'); });");

  // Without NODE_TEST_CONTEXT the inner runner reports as a top-level run, not as this test's child.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const nodeTest = new URL('./node-test.mjs', import.meta.url).pathname;
  const run = spawnSync(process.execPath, [nodeTest], { cwd: root, env, encoding: 'utf8' });

  assert.equal(run.status, 0, run.stdout + run.stderr);
  const summary = JSON.parse(readFileSync(join(root, '.test-results', 'summary.json'), 'utf8'));
  assert.equal(summary.passed, 1);
  assert.equal(summary.failed, 0);
  assert.ok(!existsSync(join(root, 'dist/deleted.test.js')));
});
