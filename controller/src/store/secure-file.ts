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

/** Creates a directory readable only by its owner (or tightens an existing one we created). */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const st = statSync(path);
  if (!st.isDirectory()) throw new Error(`${path}: exists and is not a directory`);
}
