// Commits whose fsync need not block the event loop. With journal_mode=WAL, `synchronous=NORMAL` writes a
// commit to the WAL without syncing it (SQLite still syncs around checkpoints, so the database is never
// corrupted, only recent commits can be lost in a power cut); syncing the WAL ourselves on libuv's thread
// pool then makes them durable while the controller goes on serving agents and operators.
import { closeSync, fdatasync, fstatSync, openSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * Runs `fn`, whose commits are written but not fsynced; FULL again afterwards for every other writer.
 * (A prepared `PRAGMA synchronous` cannot be run again: SQLite applies it when the statement is compiled.)
 */
export function withoutFsync<T>(db: Database.Database, fn: () => T): T {
  db.pragma('synchronous = NORMAL');
  try {
    return fn();
  } finally {
    db.pragma('synchronous = FULL');
  }
}

interface Descriptor {
  fd: number;
  dev: number;
  ino: number;
  /** Syncs in flight on it: a replaced descriptor is closed only after them, so its number is not reused under them. */
  users: number;
  retired: boolean;
}

/**
 * fdatasync of `<database>-wal` off the event loop: every commit written before it started is then on
 * disk (syncing any descriptor of a file flushes all of its data). The descriptor stays open between syncs
 * (opening and closing one per commit was ≈ 6 % of the controller's main thread during a deploy); a stat
 * per sync notices a WAL that was removed or replaced (another connection closing last, an operator's
 * tool), and the new file is opened instead. SQLite takes no POSIX locks on the WAL file, so our
 * descriptor, kept or closed, touches none of its locks. No WAL file: nothing to sync.
 */
export class WalSync {
  private current: Descriptor | null = null;

  constructor(private readonly walPath: string) {}

  static forDatabase(databasePath: string): WalSync {
    return new WalSync(`${databasePath}-wal`);
  }

  async sync(): Promise<void> {
    const d = this.descriptor();
    if (!d) return;
    d.users++;
    try {
      await new Promise<void>((resolve, reject) => fdatasync(d.fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      d.users--;
      if (d.retired && d.users === 0) closeSync(d.fd);
    }
  }

  close(): void {
    this.retire();
  }

  /** The descriptor of the WAL as it is now; null when there is none. */
  private descriptor(): Descriptor | null {
    const st = ifExists(() => statSync(this.walPath));
    const d = this.current;
    if (st && d && d.dev === st.dev && d.ino === st.ino) return d;
    this.retire();
    // Removed between the stat and the open: nothing to sync either.
    const fd = st && ifExists(() => openSync(this.walPath, 'r'));
    if (fd === null) return null;
    // The file opened, which is the WAL now even if it changed again since the stat.
    const opened = fstatSync(fd);
    this.current = { fd, dev: opened.dev, ino: opened.ino, users: 0, retired: false };
    return this.current;
  }

  private retire(): void {
    const d = this.current;
    if (!d) return;
    this.current = null;
    d.retired = true;
    if (d.users === 0) closeSync(d.fd);
  }
}

/** `fn`'s value, or null when it fails because the file does not exist. */
function ifExists<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
