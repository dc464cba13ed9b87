// Commits whose fsync need not block the event loop. With journal_mode=WAL, `synchronous=NORMAL` writes a
// commit to the WAL without syncing it (SQLite still syncs around checkpoints, so the database is never
// corrupted, only recent commits can be lost in a power cut); syncing the WAL ourselves on libuv's thread
// pool then makes them durable while the controller goes on serving agents and operators.
import { open } from 'node:fs/promises';
import type Database from 'better-sqlite3';

/** Runs `fn`, whose commits are written but not fsynced; FULL again afterwards for every other writer. */
export function withoutFsync<T>(db: Database.Database, fn: () => T): T {
  db.pragma('synchronous = NORMAL');
  try {
    return fn();
  } finally {
    db.pragma('synchronous = FULL');
  }
}

/**
 * fdatasync of `<database>-wal` off the event loop: every commit written before it started is then on
 * disk (syncing any descriptor of a file flushes all of its data). SQLite takes no POSIX locks on the WAL
 * file, so opening and closing our own descriptor releases none of its locks. No WAL file: nothing to sync.
 */
export async function syncWal(databasePath: string): Promise<void> {
  let wal;
  try {
    wal = await open(`${databasePath}-wal`, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await wal.datasync();
  } finally {
    await wal.close();
  }
}
