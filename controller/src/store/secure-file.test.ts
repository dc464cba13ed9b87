import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDatabaseFile, ensurePrivateDir } from './secure-file.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;

function inTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'drover-secure-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('ensurePrivateDir creates a 0700 directory and tightens an existing one', () => {
  inTempDir((dir) => {
    assert.equal((ensurePrivateDir(join(dir, 'new')), modeOf(join(dir, 'new'))), 0o700);
    const loose = join(dir, 'loose');
    mkdirSync(loose);
    chmodSync(loose, 0o755);
    ensurePrivateDir(loose);
    assert.equal(modeOf(loose), 0o700);
  });
});

test('ensurePrivateDatabaseFile creates the database 0600 and tightens an existing one and its companions', () => {
  inTempDir((dir) => {
    const fresh = join(dir, 'fresh.db');
    ensurePrivateDatabaseFile(fresh);
    assert.equal(modeOf(fresh), 0o600);
    const old = join(dir, 'old.db');
    for (const file of [old, `${old}-wal`, `${old}-shm`]) {
      writeFileSync(file, '');
      chmodSync(file, 0o644);
    }
    ensurePrivateDatabaseFile(old);
    for (const file of [old, `${old}-wal`, `${old}-shm`]) assert.equal(modeOf(file), 0o600, file);
  });
});
