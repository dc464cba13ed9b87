import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONTROLLER_MAIN, Proc, removeDir, tempDir } from './harness.js';

// `npm run install-cli` (README, "Production"): the documented command, into a temporary npm prefix.
// --no-build: the suite runs after the build; --offline: it needs nothing from any registry.

const REPO = resolve(CONTROLLER_MAIN, '../../../..');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'controller', 'package.json'), 'utf8')) as { version: string }).version;

function installCli(prefix: string, path: string) {
  return spawnSync('npm', ['run', '--silent', 'install-cli', '--', '--no-build', '--prefix', prefix, '--offline'], {
    cwd: REPO, encoding: 'utf8', env: { ...process.env, PATH: path },
  });
}

describe('npm run install-cli', () => {
  let dir: string;
  before(() => { dir = tempDir('install-cli'); });
  after(() => removeDir(dir));

  test('links this checkout\'s drover into the prefix; it runs commands and the controller (native better-sqlite3) from there', async () => {
    const prefix = join(dir, 'prefix');
    const r = installCli(prefix, process.env.PATH ?? '');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const bin = join(prefix, 'bin', 'drover');
    assert.equal(realpathSync(bin), realpathSync(CONTROLLER_MAIN), 'the bin is our dist/drover/main.js, not a package from the registry');
    assert.match(r.stdout, new RegExp(`^drover ${VERSION} installed: ${bin} -> `, 'm'));
    assert.equal(spawnSync(bin, ['version'], { encoding: 'utf8' }).stdout, `${VERSION}\n`);

    const serve = new Proc(spawn(bin, ['controller', 'serve', '--listen', '127.0.0.1:0', '--data-dir', join(dir, 'state')], { stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      await serve.waitFor(/TLS public-key fingerprint: sha256:[0-9a-f]{64}/);
    } finally {
      await serve.stop();
    }
  });

  test('a different drover earlier in PATH is reported', () => {
    const other = join(dir, 'other-bin');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'drover'), '#!/bin/sh\necho unrelated\n');
    chmodSync(join(other, 'drover'), 0o755);
    const prefix = join(dir, 'prefix-2');
    const r = installCli(prefix, `${other}:${process.env.PATH ?? ''}`);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, new RegExp(`^warning: ${join(other, 'drover')} comes first in PATH and is another drover; put ${join(prefix, 'bin')} before it$`, 'm'));
  });

  test('a program already at PREFIX/bin/drover (the demo\'s wrapper) is left alone, with what to do', () => {
    const prefix = join(dir, 'prefix-3');
    mkdirSync(join(prefix, 'bin'), { recursive: true });
    writeFileSync(join(prefix, 'bin', 'drover'), '#!/bin/sh\necho wrapper\n');
    const r = installCli(prefix, process.env.PATH ?? '');
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `install-cli: ${join(prefix, 'bin', 'drover')} exists and is not an npm link (the demo's wrapper, or another program): remove it, then run this again\n`);
    assert.equal(readFileSync(join(prefix, 'bin', 'drover'), 'utf8'), '#!/bin/sh\necho wrapper\n');
  });
});
