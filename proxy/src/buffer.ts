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

/** Reads all of `source` into a SpillBuffer; throws MaximumSizeExceededError past maxBytes. */
export async function bufferAll(source: AsyncIterable<Buffer>, maxBytes: number, memoryBytes: number): Promise<SpillBuffer> {
  const buffer = new SpillBuffer(maxBytes, memoryBytes);
  try {
    for await (const chunk of source) await buffer.write(chunk);
  } catch (err) {
    await buffer.dispose();
    throw err;
  }
  return buffer;
}
