import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXTRA_NODE_VERSIONS, prepareExtraNode } from './extra-node.mjs';

const root = new URL('..', import.meta.url).pathname;

function write(file, text) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

test('extra versions are exact, on LTS lines above the engines floor', () => {
  const floor = Number(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node.replace('>=', ''));
  for (const version of EXTRA_NODE_VERSIONS) {
    assert.match(version, /^\d+\.\d+\.\d+$/);
    const major = Number(version.split('.')[0]);
    assert.ok(major > floor && major % 2 === 0, `${version}: an even (LTS) major above ${floor}`);
  }
});

test('a prepared version loads better-sqlite3 from its own compiled copy, found in the cache', (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'extra-node-'));
  t.after(() => rmSync(cache, { recursive: true, force: true }));
  const version = '22.0.0';
  const { version: addonVersion } = JSON.parse(readFileSync(join(root, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8'));
  // A cached version: a node binary (this one) and the addon copy compiled for it (the installed binary, which
  // this node can load, beside a stand-in module to tell the copy from node_modules' own).
  const dir = join(cache, version, 'test');
  mkdirSync(join(dir, 'node', 'bin'), { recursive: true });
  symlinkSync(process.execPath, join(dir, 'node', 'bin', 'node'));
  const copy = join(dir, `better-sqlite3-${addonVersion}`);
  mkdirSync(join(copy, 'build', 'Release'), { recursive: true });
  copyFileSync(join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), join(copy, 'build', 'Release', 'better_sqlite3.node'));
  write(join(copy, 'lib', 'index.js'), "module.exports = 'the copy compiled for this ABI';\n");

  process.env.DROVER_NODE_CACHE = cache;
  t.after(() => { delete process.env.DROVER_NODE_CACHE; });
  const prepared = prepareExtraNode(root, version);
  assert.equal(prepared.nodeBin, join(dir, 'node', 'bin', 'node'));

  const probe = "import('better-sqlite3').then((m) => console.log(m.default))";
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: root, env: { ...process.env, ...prepared.env }, encoding: 'utf8' });
  assert.equal(run.stderr, '');
  assert.equal(run.stdout.trim(), 'the copy compiled for this ABI');
  assert.equal(JSON.parse(prepared.env.DROVER_NATIVE_ADDONS).addons['better-sqlite3'], pathToFileURL(join(copy, 'lib', 'index.js')).href);
  assert.equal(prepared.env.PATH.split(':')[0], join(dir, 'node', 'bin'), '`node` in PATH is the prepared version');

  // A process of another ABI (a child started with another node) keeps node_modules' own copy.
  const otherAbi = JSON.stringify({ ...JSON.parse(prepared.env.DROVER_NATIVE_ADDONS), abi: '1' });
  const kind = "import('better-sqlite3').then((m) => console.log(typeof m.default))";
  const other = spawnSync(process.execPath, ['--input-type=module', '-e', kind], { cwd: root, env: { ...process.env, ...prepared.env, DROVER_NATIVE_ADDONS: otherAbi }, encoding: 'utf8' });
  assert.equal(other.stdout.trim(), 'function', other.stderr);
});
