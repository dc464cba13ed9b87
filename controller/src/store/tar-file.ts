import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * The few bytes of POSIX ustar that a controller backup needs: regular files with short relative
 * names, written and read through a file descriptor in chunks (a database can be large). The result
 * is an ordinary tar: `tar -tvf backup.tar` lists it and `tar -xf` unpacks it by hand.
 */
const BLOCK = 512;
const CHUNK = 1024 * 1024;

export interface TarEntry {
  name: string;
  size: number;
  /** Where its bytes start in the archive. */
  offset: number;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, mtimeSeconds: number): Buffer {
  if (Buffer.byteLength(name) > 99) throw new Error(`tar: name too long: ${name}`);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 'utf8');
  h.write(octal(0o600, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtimeSeconds, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(octal(checksum(h), 8), 148, 'ascii');
  return h;
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

/** Appends regular files to an archive open for writing at `fd`. */
export class TarWriter {
  constructor(private readonly fd: number, private readonly mtimeSeconds = Math.floor(Date.now() / 1000)) {}

  addBuffer(name: string, data: Buffer): void {
    writeSync(this.fd, header(name, data.length, this.mtimeSeconds));
    writeSync(this.fd, data);
    this.pad(data.length);
  }

  /** Copies the file at `path` (its size when opened; the caller makes sure nothing writes it meanwhile). */
  addFile(name: string, path: string): void {
    const src = openSync(path, 'r');
    try {
      const size = fstatSync(src).size;
      writeSync(this.fd, header(name, size, this.mtimeSeconds));
      const buf = Buffer.alloc(CHUNK);
      let copied = 0;
      while (copied < size) {
        const n = readSync(src, buf, 0, Math.min(CHUNK, size - copied), copied);
        if (n === 0) throw new Error(`${path}: shrank while being archived`);
        writeSync(this.fd, buf, 0, n);
        copied += n;
      }
      this.pad(size);
    } finally {
      closeSync(src);
    }
  }

  /** Two zero blocks end a tar archive. */
  finish(): void {
    writeSync(this.fd, Buffer.alloc(BLOCK * 2));
  }

  private pad(size: number): void {
    const rest = size % BLOCK;
    if (rest) writeSync(this.fd, Buffer.alloc(BLOCK - rest));
  }
}

/** Lists the regular files of the archive at `fd`; throws a one-line Error on anything else. */
export function readTarEntries(fd: number, what: string): TarEntry[] {
  const total = fstatSync(fd).size;
  const entries: TarEntry[] = [];
  const block = Buffer.alloc(BLOCK);
  let pos = 0;
  for (;;) {
    if (pos + BLOCK > total) throw new Error(`${what}: truncated (no end-of-archive marker)`);
    readSync(fd, block, 0, BLOCK, pos);
    if (block.every((b) => b === 0)) return entries;
    const stored = parseInt(block.toString('ascii', 148, 156).replace(/\0.*$/s, '').trim(), 8);
    if (block.toString('ascii', 257, 262) !== 'ustar' || stored !== checksum(block)) throw new Error(`${what}: not a tar archive (bad header at byte ${pos})`);
    const name = block.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const type = block.toString('ascii', 156, 157);
    const size = parseInt(block.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    if (type !== '0' && type !== '\0') throw new Error(`${what}: unexpected entry "${name}" (not a regular file)`);
    if (!Number.isSafeInteger(size) || pos + BLOCK + size > total) throw new Error(`${what}: truncated in "${name}"`);
    entries.push({ name, size, offset: pos + BLOCK });
    pos += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
}

/** Copies an entry's bytes to the file open for writing at `outFd`. */
export function copyTarEntry(fd: number, entry: TarEntry, outFd: number): void {
  const buf = Buffer.alloc(CHUNK);
  let copied = 0;
  while (copied < entry.size) {
    const n = readSync(fd, buf, 0, Math.min(CHUNK, entry.size - copied), entry.offset + copied);
    writeSync(outFd, buf, 0, n);
    copied += n;
  }
}

export function readTarEntry(fd: number, entry: TarEntry): Buffer {
  const buf = Buffer.alloc(entry.size);
  readSync(fd, buf, 0, entry.size, entry.offset);
  return buf;
}
