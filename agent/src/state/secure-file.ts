import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a file atomically and durably with mode 0600: temp file, fsync, rename, then fsync of the
 * directory, so after a crash or power loss the file holds either the old or the new content and
 * the rename itself is on disk. `durable: false` skips both fsyncs: other processes see the old or
 * the new content, but a power loss may leave either, or a torn file (for records whose loss only
 * costs a retry running again). `directoryExists`: the caller made the directory, no mkdir per write.
 */
export function writePrivateFile(path: string, data: string, opts: { durable?: boolean; directoryExists?: boolean } = {}): void {
  const durable = opts.durable ?? true;
  const dir = dirname(path);
  if (!opts.directoryExists) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
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

/** Makes a rename or unlink in `dir` durable. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
