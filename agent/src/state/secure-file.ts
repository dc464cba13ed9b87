import { chmodSync, closeSync, fchmodSync, fstatSync, fsync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
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

/**
 * `writePrivateFile`, durable, with its two fsyncs on libuv's thread pool: the event loop (and whatever the
 * caller does meanwhile, as long as it changes nothing that needs the file) goes on while the disk syncs.
 */
export async function writePrivateFileDurably(path: string, data: string): Promise<void> {
  const dir = dirname(path);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openCreatingDirectory(tmp, dir);
  try {
    writeSync(fd, Buffer.from(data, 'utf8'));
    await fsyncOf(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  const dirFd = openSync(dir, 'r');
  try {
    await fsyncOf(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * Writes a file in place (created 0600, or truncated, then written): no temp file, rename or fsync, so no
 * change to the directory when the file exists. Only for records whose loss or tearing costs no more than
 * a retry running again: a crash between the truncation and the write leaves the file empty.
 */
export function writeFileInPlace(path: string, data: string): void {
  const fd = openCreatingDirectory(path, dirname(path));
  try {
    // The mode given to open is only applied to a new file, and through the umask.
    if ((fstatSync(fd).mode & 0o777) !== 0o600) fchmodSync(fd, 0o600);
    writeSync(fd, Buffer.from(data, 'utf8'));
  } finally {
    closeSync(fd);
  }
}

function fsyncOf(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
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
