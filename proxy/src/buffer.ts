/** Whole-body buffering: memory up to a limit, then spilled to a temp file; an optional maximum size. */
import { open, mkdtemp, rm, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

export class MaximumSizeExceededError extends Error {
  constructor(readonly limit: number) {
    super(`maximum size of ${limit} bytes exceeded`);
  }
}

export class SpillBuffer {
  size = 0;
  private chunks: Buffer[] = [];
  private dir: string | null = null;
  private file: FileHandle | null = null;

  /** maxBytes 0 = unlimited; memoryBytes 0 = everything goes to disk. */
  constructor(private readonly maxBytes: number, private readonly memoryBytes: number) {}

  get spilled(): boolean {
    return this.dir !== null;
  }

  /** The bytes when they all stayed in memory; null once spilled. */
  get inMemory(): Buffer[] | null {
    return this.dir === null ? this.chunks : null;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.maxBytes > 0 && this.size + chunk.length > this.maxBytes) throw new MaximumSizeExceededError(this.maxBytes);
    this.size += chunk.length;
    if (this.file === null && this.size <= this.memoryBytes) {
      this.chunks.push(chunk);
      return;
    }
    if (this.file === null) {
      this.dir = await mkdtemp(join(tmpdir(), 'proxy-buffer-'));
      this.file = await open(join(this.dir, 'body'), 'w+', 0o600);
      for (const c of this.chunks) await this.file.write(c);
      this.chunks = [];
    }
    await this.file.write(chunk);
  }

  /** The buffered bytes as a stream; the temp file is removed once it has been read or on dispose(). */
  async reader(): Promise<Readable> {
    if (this.file === null) return Readable.from(this.chunks.length === 0 ? [] : this.chunks);
    await this.file.close();
    this.file = null;
    const stream = createReadStream(join(this.dir!, 'body'));
    stream.once('close', () => void this.dispose());
    return stream;
  }

  async dispose(): Promise<void> {
    this.chunks = [];
    const file = this.file;
    const dir = this.dir;
    this.file = null;
    this.dir = null;
    if (file) await file.close().catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Reads all of `source` into a SpillBuffer; rejects with MaximumSizeExceededError past maxBytes.
 * The source is left paused, not destroyed, on failure: the caller either drains it (a request
 * body, so the keep-alive connection goes on after the 413) or destroys it.
 */
export function bufferAll(source: Readable, maxBytes: number, memoryBytes: number): Promise<SpillBuffer> {
  const buffer = new SpillBuffer(maxBytes, memoryBytes);
  return new Promise((resolve, reject) => {
    // One write at a time, in order: the source waits while a chunk goes to disk ('end' may still come meanwhile).
    let writes: Promise<void> = Promise.resolve();
    let failed = false;
    const detach = (): void => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', fail);
      source.off('close', onClose);
    };
    function fail(err: unknown): void {
      if (failed) return;
      failed = true;
      detach();
      source.pause();
      void buffer.dispose().then(() => reject(err));
    }
    function onData(chunk: Buffer): void {
      source.pause();
      writes = writes.then(() => buffer.write(chunk)).then(() => { if (!failed) source.resume(); }, fail);
    }
    function onEnd(): void {
      source.off('close', onClose);
      void writes.then(() => {
        if (failed) return;
        detach();
        resolve(buffer);
      });
    }
    function onClose(): void {
      fail(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    }
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', fail);
    source.once('close', onClose);
  });
}
