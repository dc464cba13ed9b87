/**
 * --buffer-requests / --buffer-responses on the fast path, with the semantics of Target.serveHttp
 * (buffer.ts): a request body is read whole before anything goes upstream, a response whole
 * before anything goes to the client, with the same limits. Request bodies that would spill to
 * disk never get here (router.ts hands those requests to node:http); responses cannot be handed
 * over once the request is under way, so they spill through the same SpillBuffer.
 */
import type { TargetOptions } from './options.js';
import { SpillBuffer } from './buffer.js';
import type { FastBodySource } from './fast_response.js';

type BufferOptions = Pick<TargetOptions, 'bufferRequests' | 'maxRequestBodySize' | 'maxMemoryBufferSize'>;

/** A body of this length over the limit: 413, as bufferAll's MaximumSizeExceededError gives. */
export function requestBodyTooLarge(o: BufferOptions, contentLength: number): boolean {
  return o.bufferRequests && o.maxRequestBodySize > 0 && contentLength > o.maxRequestBodySize;
}

/** Whether the fast path can keep these buffering rules for a request with this body length. */
export function fastPathCanBufferRequest(o: BufferOptions, contentLength: number): boolean {
  if (!o.bufferRequests) return true;
  return contentLength <= o.maxMemoryBufferSize || requestBodyTooLarge(o, contentLength);
}

/** Reads a request body whole into memory; `done` gets the chunks. */
export function collectRequestBody(body: FastBodySource, done: (chunks: Buffer[]) => void): void {
  const chunks: Buffer[] = [];
  body.read((chunk) => chunks.push(chunk), () => done(chunks));
}

/** A buffered request body, sent upstream from memory. */
export class MemoryBody implements FastBodySource {
  readonly length: number;
  constructor(private readonly chunks: Buffer[]) {
    this.length = chunks.reduce((n, c) => n + c.length, 0);
  }

  read(onData: (chunk: Buffer) => void, onEnd: () => void): void {
    for (const c of this.chunks) onData(c);
    onEnd();
  }

  pause(): void {}
  resume(): void {}
}

/**
 * A response body collected in a SpillBuffer: memory up to --buffer-memory, then a temp file.
 * `add` refuses (overflowed = true) past --max-response-body, as bufferAll does.
 */
export class ResponseCollector {
  readonly buffer: SpillBuffer;
  overflowed = false;
  failed = false;
  private received = 0;
  private writes: Promise<void> = Promise.resolve();
  private writing = 0;

  constructor(private readonly maxBytes: number, private readonly memoryBytes: number) {
    this.buffer = new SpillBuffer(0, memoryBytes);
  }

  /** True = keep reading; false = wait for `resume` (a disk write), or stop if overflowed. */
  add(chunk: Buffer, resume: () => void): boolean {
    if (this.maxBytes > 0 && this.received + chunk.length > this.maxBytes) {
      this.overflowed = true;
      return false;
    }
    this.received += chunk.length;
    if (this.writing === 0 && !this.buffer.spilled && this.received <= this.memoryBytes) {
      // Stays in memory: SpillBuffer.write completes synchronously in this case.
      void this.buffer.write(chunk);
      return true;
    }
    this.writing++;
    this.writes = this.writes.then(() => this.buffer.write(chunk)).then(
      () => { if (--this.writing === 0) resume(); },
      // The rest is still read (and dropped) so the exchange ends; settled() then reports the failure.
      () => { this.failed = true; if (--this.writing === 0) resume(); },
    );
    return false;
  }

  /** Resolves once every chunk is stored; false when storing failed. */
  async settled(): Promise<boolean> {
    await this.writes;
    return !this.failed;
  }

  /** The body when it all stayed in memory and nothing is being written; null otherwise. */
  get memoryChunks(): Buffer[] | null {
    return this.writing === 0 ? this.buffer.inMemory : null;
  }

  get size(): number {
    return this.received;
  }
}
