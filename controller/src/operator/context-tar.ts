import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { UserError } from '@drover/shared/errors';
import { DockerIgnore } from './dockerignore.js';

/**
 * The build context as the docker CLI sends it to the Engine API: a tar of the context directory
 * without what `.dockerignore` leaves out (the Dockerfile and `.dockerignore` themselves always go),
 * owners 0:0, symlinks kept as links, sockets/devices skipped. A Dockerfile outside the context is
 * added under a name of its own, as the CLI does.
 */

export interface ContextEntry {
  /** `/`-separated, relative to the context. */
  name: string;
  type: 'file' | 'dir' | 'symlink';
  /** Absolute path on disk (for files). */
  source: string;
  mode: number;
  size: number;
  mtime: Date;
  linkname?: string;
}

export interface ContextListing {
  entries: ContextEntry[];
  /** Files and symlinks (not directories). */
  fileCount: number;
  bytes: number;
}

/** Walks `contextDir` in lexical order (as Go's filepath.Walk), leaving out ignored paths. `keep` are always sent. */
export function listContext(contextDir: string, keep: readonly string[] = []): ContextListing {
  const ignoreFile = join(contextDir, '.dockerignore');
  let ignore = DockerIgnore.fromText(existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : '');
  ignore = ignore.keeping(['.dockerignore', ...keep]);
  const entries: ContextEntry[] = [];
  let fileCount = 0;
  let bytes = 0;

  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      throw new UserError(`Can't read the build context: ${(err as Error).message}`);
    }
    for (const name of names) {
      const relPath = rel ? `${rel}/${name}` : name;
      const abs = join(dir, name);
      let st: Stats;
      try {
        st = lstatSync(abs);
      } catch {
        continue; // vanished while walking
      }
      const ignored = ignore.ignores(relPath);
      if (st.isDirectory()) {
        if (!ignored) entries.push({ name: relPath, type: 'dir', source: abs, mode: st.mode & 0o7777, size: 0, mtime: st.mtime });
        if (!ignored || ignore.mustDescend(relPath)) walk(abs, relPath);
        continue;
      }
      if (ignored) continue;
      if (st.isFile()) {
        entries.push({ name: relPath, type: 'file', source: abs, mode: st.mode & 0o7777, size: st.size, mtime: st.mtime });
        fileCount++;
        bytes += st.size;
      } else if (st.isSymbolicLink()) {
        entries.push({ name: relPath, type: 'symlink', source: abs, mode: st.mode & 0o7777, size: 0, mtime: st.mtime, linkname: readlinkSync(abs) });
        fileCount++;
      }
    }
  };
  walk(contextDir, '');
  return { entries, fileCount, bytes };
}

// --- a minimal ustar/pax writer -------------------------------------------------------------------

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`);
}

function header(fields: { name: string; mode: number; size: number; mtime: number; type: string; linkname?: string }): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(fields.name, 0, 100, 'utf8');
  h.write(octal(fields.mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(fields.size, 12), 124, 'ascii');
  h.write(octal(Math.max(0, Math.floor(fields.mtime)), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(fields.type, 156, 'ascii');
  if (fields.linkname) h.write(fields.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

const fits = (s: string, max: number) => Buffer.byteLength(s) < max && /^[\x20-\x7e]*$/.test(s);

/** The header blocks of one entry: a pax header first when the name, link or size do not fit ustar. */
export function entryHeader(e: { name: string; type: ContextEntry['type']; mode: number; size: number; mtime: Date; linkname?: string }): Buffer {
  const name = e.type === 'dir' ? `${e.name}/` : e.name;
  const size = e.type === 'file' ? e.size : 0;
  const records: Buffer[] = [];
  if (!fits(name, 100)) records.push(paxRecord('path', name));
  if (e.linkname !== undefined && !fits(e.linkname, 100)) records.push(paxRecord('linkpath', e.linkname));
  if (size > 0o77777777777) records.push(paxRecord('size', String(size)));
  const type = e.type === 'dir' ? '5' : e.type === 'symlink' ? '2' : '0';
  const mtime = e.mtime.getTime() / 1000;
  const main = header({ name: fits(name, 100) ? name : name.slice(0, 99).replace(/[^\x20-\x7e]/g, '_'), mode: e.mode, size: size > 0o77777777777 ? 0 : size, mtime, type, linkname: e.linkname !== undefined && fits(e.linkname, 100) ? e.linkname : undefined });
  if (records.length === 0) return main;
  const pax = Buffer.concat(records);
  const paxHeader = header({ name: 'PaxHeader', mode: 0o644, size: pax.length, mtime, type: 'x' });
  return Buffer.concat([paxHeader, pax, Buffer.alloc(padding(pax.length)), main]);
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

async function* fileBlocks(path: string, size: number): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    let left = size;
    while (left > 0) {
      const chunk = Buffer.alloc(Math.min(left, 256 * 1024));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, size - left);
      if (bytesRead === 0) {
        // The file shrank while we read it: keep the archive well-formed.
        yield Buffer.alloc(left);
        return;
      }
      left -= bytesRead;
      yield chunk.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

export interface ExtraFile {
  name: string;
  content: Buffer;
  mode?: number;
}

/** Streams the entries (and extra in-memory files) as an uncompressed tar. */
export function tarStream(entries: readonly ContextEntry[], extra: readonly ExtraFile[] = []): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    for (const e of entries) {
      yield entryHeader(e);
      if (e.type === 'file' && e.size > 0) {
        yield* fileBlocks(e.source, e.size);
        const pad = padding(e.size);
        if (pad) yield Buffer.alloc(pad);
      }
    }
    for (const f of extra) {
      yield entryHeader({ name: f.name, type: 'file', mode: f.mode ?? 0o644, size: f.content.length, mtime: new Date() });
      yield f.content;
      const pad = padding(f.content.length);
      if (pad) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(BLOCK * 2);
  }
  return Readable.from(generate(), { objectMode: false });
}

/** True when `path` is an existing directory. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
