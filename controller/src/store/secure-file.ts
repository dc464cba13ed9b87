import { closeSync, fsyncSync, openSync, renameSync, writeSync, mkdirSync, chmodSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes a secret file atomically (temp file, fsync, rename) with mode 0600. */
export function writeSecretFile(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Creates a directory readable only by its owner, or tightens an existing one that we own. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const st = statSync(path);
  if (!st.isDirectory()) throw new Error(`${path}: exists and is not a directory`);
  if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) chmodSync(path, 0o700);
}

/**
 * Creates a SQLite database file (empty) readable only by its owner, and tightens an existing
 * one and its companions: SQLite gives the -wal, -shm and -journal files it creates later the
 * mode of the database file.
 */
export function ensurePrivateDatabaseFile(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    try {
      chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
