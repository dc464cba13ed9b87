import Database from 'better-sqlite3';
import { readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@drover/shared';
import { ensurePrivateDatabaseFile, ensurePrivateDir, writeSecretFile } from './secure-file.js';

/** How long a starting controller waits for the lock: two first starts at once resolve to one winner. */
const LOCK_WAIT_MS = 1000;

export interface DataDirLock {
  release(): void;
}

/** Another process holds the data dir: a running (or starting) controller. */
export class DataDirInUseError extends UserError {
  override readonly name = 'DataDirInUseError';
}

interface Holder {
  pid: number;
  hostname: string;
  startedAt: string;
}

/**
 * Makes this process the only controller on `dataDir`, or throws a UserError naming the one that is.
 *
 * The lock is SQLite's exclusive lock on a dedicated database (`controller.lock`): an fcntl lock
 * the kernel drops when the process dies, so a SIGKILLed controller leaves nothing stale, and it
 * needs no new dependency. Who holds it is written beside it (`controller.lock.holder`), since a
 * locked database cannot be read; the lock database itself must never be opened by anything else
 * in this process (closing any descriptor of it would drop the lock).
 */
export function lockDataDir(dataDir: string): DataDirLock {
  ensurePrivateDir(dataDir);
  const lockPath = join(dataDir, 'controller.lock');
  const holderPath = join(dataDir, 'controller.lock.holder');
  ensurePrivateDatabaseFile(lockPath);
  let db: Database.Database | null = null;
  try {
    db = new Database(lockPath, { timeout: LOCK_WAIT_MS });
    db.pragma('locking_mode = EXCLUSIVE');
    // A write takes the exclusive lock; in this locking mode it is kept until the connection closes.
    db.exec("BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (at INTEGER NOT NULL); DELETE FROM held; INSERT INTO held VALUES (strftime('%s', 'now')); COMMIT");
  } catch (err) {
    db?.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new DataDirInUseError(`data dir ${dataDir} is in use by another controller (${describeHolder(holderPath)}); stop it or use another --data-dir`);
    }
    throw new Error(`${lockPath}: cannot lock the data dir (${(err as Error).message})`);
  }
  const holder: Holder = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  writeSecretFile(holderPath, `${JSON.stringify(holder)}\n`);
  const locked = db;
  return {
    release() {
      if (!locked.open) return;
      rmSync(holderPath, { force: true });
      locked.close();
    },
  };
}

function describeHolder(holderPath: string): string {
  try {
    const h = JSON.parse(readFileSync(holderPath, 'utf8')) as Partial<Holder>;
    return `pid ${h.pid ?? '?'} on ${h.hostname ?? '?'}, started at ${h.startedAt ?? '?'}`;
  } catch {
    return 'holder unknown: it is still starting';
  }
}
