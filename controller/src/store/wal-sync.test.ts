import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WalSync, withoutFsync } from './wal-sync.js';

function walDatabase(t: { after(fn: () => void): void }): { db: Database.Database; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'drover-wal-'));
  const path = join(dir, 'x.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  t.after(() => { db.close(); rmSync(dir, { recursive: true, force: true }); });
  return { db, path };
}

const syncMode = (db: Database.Database) => db.pragma('synchronous', { simple: true });

test('withoutFsync commits with synchronous=NORMAL and leaves FULL for every other writer, also when it throws', (t) => {
  const { db } = walDatabase(t);
  db.exec('CREATE TABLE t (v INTEGER)');
  const seen = withoutFsync(db, () => {
    db.prepare('INSERT INTO t VALUES (1)').run();
    return syncMode(db);
  });
  assert.deepEqual([seen, syncMode(db)], [1, 2]);
  assert.throws(() => withoutFsync(db, () => { throw new Error('constraint'); }), /constraint/);
  assert.equal(syncMode(db), 2);
});

/** The descriptors this process has open on any of `paths` (Linux: /proc/self/fd; a removed file reads "PATH (deleted)"). */
function openOn(...paths: string[]): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return paths.includes(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false;
    }
  }).length;
}

test('WalSync syncs the WAL through one kept descriptor, and is a no-op without a WAL', async (t) => {
  const { db, path } = walDatabase(t);
  withoutFsync(db, () => db.exec('CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)'));
  assert.ok(existsSync(`${path}-wal`));
  // SQLite's connection has the WAL open too.
  const before = openOn(`${path}-wal`);
  const wal = WalSync.forDatabase(path);
  await Promise.all([wal.sync(), wal.sync()]);
  await wal.sync();
  assert.equal(openOn(`${path}-wal`), before + 1);
  // The connection still reads and writes: our descriptor holds none of its locks.
  db.prepare('INSERT INTO t VALUES (2)').run();
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 2);
  wal.close();
  assert.equal(openOn(`${path}-wal`), before);
  await WalSync.forDatabase(join(path, '..', 'absent.db')).sync();
});

test('WalSync follows a WAL that was replaced or removed, and closes the old descriptor only after its syncs', async (t) => {
  const { path } = walDatabase(t);
  const walPath = `${path}-elsewhere-wal`;
  writeFileSync(walPath, 'first');
  const wal = new WalSync(walPath);
  await wal.sync();
  const inFlight = wal.sync();
  writeFileSync(`${walPath}.new`, 'second');
  renameSync(`${walPath}.new`, walPath);
  const next = wal.sync();
  await Promise.all([inFlight, next]);
  // Only the new file's descriptor is left (the old one was closed once its sync was done).
  assert.equal(openOn(walPath), 1);
  assert.equal(openOn(`${walPath} (deleted)`), 0);
  rmSync(walPath);
  await wal.sync();
  assert.equal(openOn(walPath, `${walPath} (deleted)`), 0);
});
