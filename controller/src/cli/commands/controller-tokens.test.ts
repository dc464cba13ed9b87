import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Proc, removeDir, startController, tempDir } from '../../e2e/harness.js';
import { drover } from './cli-test-support.js';

const LOCK_MODULE = new URL('../../store/data-dir-lock.js', import.meta.url).href;

/** A process holding the data-dir lock, as a controller does from the moment it starts until it exits (kept reachable: a collected connection drops the lock). */
async function holdLock(dataDir: string): Promise<Proc> {
  const script = `const { lockDataDir } = await import(${JSON.stringify(LOCK_MODULE)}); globalThis.held = lockDataDir(${JSON.stringify(dataDir)}); console.log('locked'); setInterval(() => {}, 60_000);`;
  const holder = new Proc(spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] }));
  await holder.waitFor(/locked/);
  return holder;
}

const identityFiles = (dataDir: string) => ['controller-key.pem', 'tls/cert.pem', 'tls/key.pem'].filter((f) => existsSync(join(dataDir, f)));

describe('drover controller token create and the controller identity', () => {
  let dir: string;
  before(() => { dir = tempDir('token-create-identity'); });
  after(() => removeDir(dir));

  test('on a fresh data dir it makes the identity, and the controller started next keeps it', async () => {
    const dataDir = join(dir, 'fresh');
    const created = await drover(['controller', 'token', 'create', '--scope', 'admin', '--data-dir', dataDir, '--json'], dir);
    assert.equal(created.code, 0, created.stderr);
    const { fingerprint } = JSON.parse(created.stdout) as { fingerprint: string };
    assert.match(fingerprint, /^sha256:[0-9a-f]{64}$/);
    // The lock was released: a controller starts on the dir and presents the same key.
    const ctl = await startController(dataDir);
    try {
      assert.equal(ctl.fingerprint, fingerprint);
    } finally {
      await ctl.proc.stop();
    }
  });

  test('while a starting controller holds the data dir it makes no keys of its own', async () => {
    const dataDir = join(dir, 'starting');
    const holder = await holdLock(dataDir);
    try {
      const created = await drover(['controller', 'token', 'create', '--scope', 'admin', '--data-dir', dataDir, '--json'], dir);
      assert.equal(created.code, 0, created.stderr);
      assert.deepEqual(identityFiles(dataDir), [], 'the controller holding the lock makes the identity');
      assert.equal((JSON.parse(created.stdout) as { fingerprint: string | null }).fingerprint, null);
      const plain = await drover(['controller', 'token', 'create', '--scope', 'read', '--data-dir', dataDir], dir);
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stderr, /log in with: drover login https:\/\/CONTROLLER:7443 --token <token>/);
    } finally {
      await holder.stop();
    }
  });
});
