import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DROVER_VERSION } from '@drover/shared';

// The built `drover` (dist/drover: the launcher, main.js, and the bundle it runs with V8's code cache),
// copied to a directory of its own so its cache starts empty.
const BUILT = fileURLToPath(new URL('../drover', import.meta.url));

function copyOfBuild(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-launcher-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const file of ['main.js', 'drover.cjs', 'package.json']) copyFileSync(join(BUILT, file), join(dir, file));
  return dir;
}

const run = (dir: string, args: string[], cwd?: string) => execFileSync(process.execPath, [join(dir, 'main.js'), ...args], { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const drover = (dir: string, ...args: string[]) => run(dir, args);
const cacheFiles = (dir: string) => { try { return readdirSync(join(dir, '.compile-cache')).sort(); } catch { return []; } };
const cacheName = (command: string) => new RegExp(`^[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-${process.arch}-${command}\\.bin$`);

test('the launcher writes a code cache named for this bundle, Node, architecture and command on the first run, and reuses it', (t) => {
  const dir = copyOfBuild(t);
  assert.deepEqual(cacheFiles(dir), []);
  assert.equal(drover(dir, 'version'), DROVER_VERSION);
  const [cache, ...more] = cacheFiles(dir);
  assert.deepEqual(more, []);
  assert.match(cache!, cacheName('version'));
  const path = join(dir, '.compile-cache', cache!);
  const written = statSync(path).mtimeMs;
  assert.equal(drover(dir, 'version'), DROVER_VERSION);
  assert.equal(statSync(path).mtimeMs, written, 'an accepted cache is not written again');
});

test('each command gets a cache of its own, started from config\'s; a failed command (a typo) writes none', (t) => {
  const dir = copyOfBuild(t);
  assert.throws(() => drover(dir, 'deplyo'), /unknown command/);
  assert.deepEqual(cacheFiles(dir), [], 'a failed run leaves no cache');
  const project = mkdtempSync(join(tmpdir(), 'drover-launcher-project-'));
  t.after(() => rmSync(project, { recursive: true, force: true }));
  mkdirSync(join(project, 'config'));
  writeFileSync(join(project, 'config', 'deploy.yml'), 'service: app\nimage: app\nservers:\n  - web-1\nregistry:\n  server: r.example:5000\n  username: u\n  password: p\nbuilder:\n  arch: amd64\n');
  const config = run(dir, ['config', '--json', '--version', 'v1'], project);
  const [configCache] = cacheFiles(dir);
  assert.match(configCache!, cacheName('config'));
  assert.equal(drover(dir, 'version'), DROVER_VERSION);
  assert.equal(drover(dir, '--version'), DROVER_VERSION);
  const files = cacheFiles(dir);
  assert.equal(files.length, 3);
  assert.ok(files.some((f) => cacheName('version').test(f)) && files.some((f) => cacheName('-').test(f)), files.join(', '));
  // What the version command compiled came on top of what config's cache held: its cache is the larger one.
  const size = (command: string) => statSync(join(dir, '.compile-cache', files.find((f) => cacheName(command).test(f))!)).size;
  assert.ok(size('version') > size('config'), `version ${size('version')} B, config ${size('config')} B`);
  assert.equal(run(dir, ['config', '--json', '--version', 'v1'], project), config, 'config runs the same from its cache');
});

test('a cache V8 rejects is replaced, and the command runs as without one', (t) => {
  const dir = copyOfBuild(t);
  drover(dir, 'version');
  const path = join(dir, '.compile-cache', cacheFiles(dir)[0]!);
  writeFileSync(path, 'not a code cache');
  assert.equal(drover(dir, 'version'), DROVER_VERSION);
  assert.notEqual(readFileSync(path, 'utf8'), 'not a code cache');
  assert.deepEqual(cacheFiles(dir).length, 1, 'no partial file left behind');
});

test('the cache is tied to the bundle\'s content: another bundle of the same length gets a cache of its own', (t) => {
  const dir = copyOfBuild(t);
  drover(dir, 'version');
  const [first] = cacheFiles(dir);
  // What a rebuild does: a new bundle and a launcher naming its hash (here: the hash changed, the length not).
  const launcher = readFileSync(join(dir, 'main.js'), 'utf8');
  const hash = first!.slice(0, 16);
  const other = hash.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  writeFileSync(join(dir, 'main.js'), launcher.replace(hash, other));
  assert.equal(drover(dir, 'version'), DROVER_VERSION);
  assert.deepEqual(cacheFiles(dir).sort(), [first, first!.replace(hash, other)].sort());
});
