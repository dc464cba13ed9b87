import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { syncWal, withoutFsync } from './wal-sync.js';

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

test('syncWal syncs the WAL of a database that has one, and is a no-op without one', async (t) => {
  const { db, path } = walDatabase(t);
  withoutFsync(db, () => db.exec('CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)'));
  assert.ok(existsSync(`${path}-wal`));
  await syncWal(path);
  // Our descriptor came and went: the connection still reads and writes (none of its locks was released).
  db.prepare('INSERT INTO t VALUES (2)').run();
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 2);
  await syncWal(join(path, '..', 'absent.db'));
});
