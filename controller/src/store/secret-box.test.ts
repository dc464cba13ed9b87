import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from './secret-box.js';
import { SqliteStore } from './sqlite-store.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'drover-secret-box-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CANNOT = (e: unknown) => e instanceof Error && e.message === 'secrets: cannot decrypt (wrong key or corrupted data)';
const values = { RAILS_MASTER_KEY: 'm4st3r-s3cret', DB_PASSWORD: 'p@ss word\nwith newline', EMPTY: '' };

test('round trip; the key file is 32 bytes, mode 0600, created once', () => {
  withDir((dir) => {
    const box = SecretBox.open(dir);
    const sealed = box.seal(values);
    assert.deepEqual(box.unseal(sealed), values);
    assert.deepEqual(box.unseal(box.seal({})), {});
    assert.equal(sealed[0], 0x01, 'versioned header');
    assert.ok(!sealed.includes(Buffer.from('m4st3r-s3cret')), 'no plaintext in the sealed value');
    assert.notDeepEqual(box.seal(values), sealed, 'a fresh IV per seal');

    const keyPath = join(dir, 'secrets.key');
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    assert.equal(readFileSync(keyPath).length, 32);
    assert.deepEqual(readdirSync(dir), ['secrets.key'], 'no temp files left behind');

    const key = readFileSync(keyPath);
    const again = SecretBox.open(dir);
    assert.deepEqual(readFileSync(keyPath), key, 'the key is not replaced');
    assert.deepEqual(again.unseal(sealed), values, 'a second open decrypts what the first sealed');
  });
});

test('sealed secrets survive in the store across reopening', () => {
  withDir((dir) => {
    let s = new SqliteStore(dir);
    s.putServiceSecrets('app', 'v1', SecretBox.open(dir).seal(values), 1);
    s.close();
    s = new SqliteStore(dir);
    try {
      assert.deepEqual(SecretBox.open(dir).unseal(s.getServiceSecrets('app', 'v1')!), values);
    } finally {
      s.close();
    }
  });
});

test('tampered, truncated or foreign data is refused without echoing it', () => {
  withDir((dir) => {
    const box = SecretBox.open(dir);
    const sealed = box.seal(values);
    for (const i of [0, 1, 13, 29, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[i]! ^= 0x01;
      assert.throws(() => box.unseal(bad), CANNOT, `byte ${i}`);
    }
    assert.throws(() => box.unseal(sealed.subarray(0, 20)), CANNOT);
    assert.throws(() => box.unseal(Buffer.alloc(0)), CANNOT);
    assert.throws(() => box.unseal(Buffer.concat([sealed, Buffer.of(0)])), CANNOT);

    withDir((other) => {
      assert.throws(() => SecretBox.open(other).unseal(sealed), CANNOT, 'another key');
    });
  });
});

test('a key file with loose permissions or the wrong length is refused, naming the file', () => {
  withDir((dir) => {
    const keyPath = join(dir, 'secrets.key');
    SecretBox.open(dir);
    chmodSync(keyPath, 0o644);
    assert.throws(() => SecretBox.open(dir), (e: unknown) => e instanceof Error && e.message.includes(keyPath) && e.message.includes('0644'));
    chmodSync(keyPath, 0o600);
    SecretBox.open(dir);

    writeFileSync(keyPath, Buffer.alloc(16), { mode: 0o600 });
    assert.throws(() => SecretBox.open(dir), (e: unknown) => e instanceof Error && e.message.includes(keyPath) && /32 bytes/.test(e.message));
  });
});

test('seal accepts only string values', () => {
  withDir((dir) => {
    const box = SecretBox.open(dir);
    assert.throws(() => box.seal({ A: 1 } as unknown as Record<string, string>), /string values/);
  });
});
