import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a file atomically and durably with mode 0600: temp file, fsync, rename, then fsync of the
 * directory, so after a crash or power loss the file holds either the old or the new content and
 * the rename itself is on disk. `durable: false` skips both fsyncs: other processes see the old or
 * the new content, but a power loss may leave either, or a torn file (for records whose loss only
 * costs a retry running again). The directory (0700) is made when the temp file cannot be created
 * for want of it: the journal writes two records per operation, a mkdir each would be wasted.
 */
export function writePrivateFile(path: string, data: string, opts: { durable?: boolean } = {}): void {
  const durable = opts.durable ?? true;
  const dir = dirname(path);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openCreatingDirectory(tmp, dir);
  try {
    writeSync(fd, Buffer.from(data, 'utf8'));
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  if (durable) syncDirectory(dir);
}

function openCreatingDirectory(file: string, dir: string): number {
  try {
    return openSync(file, 'w', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return openSync(file, 'w', 0o600);
  }
}

/** Makes a rename or unlink in `dir` durable. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
