import { INITIAL_STREAM_WINDOW, MAX_CHUNK_BYTES } from './limits.js';
import { RpcError, RpcErrorCode } from './rpc-error.js';
import type { Control } from './messages.js';

/** What a stream needs from its session: a way to put frames on the wire. */
export interface StreamWire {
  send(msg: object): void;
}

export type Chunk = string | Buffer;
type Pending = { resolve(): void; reject(err: Error): void };
type ControlMsg = Pick<Control, 'resize' | 'signal'>;

/**
 * One direction-pair of bytes attached to a streaming RPC. Writes wait for
 * credit from the receiver (credit-based flow control, counted in decoded
 * bytes); reads are an async iterator that returns credit as chunks are consumed.
 */
export class Stream implements AsyncIterable<Chunk> {
  readonly id: string;
  private readonly wire: StreamWire;
  private sendCredit = INITIAL_STREAM_WINDOW;
  private creditWaiter: Pending | null = null;
  private recvAllowed = INITIAL_STREAM_WINDOW;
  private recvUnacked = 0;
  private readonly queue: Chunk[] = [];
  private reader: ((r: IteratorResult<Chunk>) => void) | null = null;
  private readerReject: ((e: Error) => void) | null = null;
  private remoteEnded = false;
  private localEnded = false;
  private closedWith: Error | null = null;
  private closed = false;
  private controlListeners: ((c: ControlMsg) => void)[] = [];

  constructor(id: string, wire: StreamWire) {
    this.id = id;
    this.wire = wire;
  }

  /** Sends bytes, waiting for credit whenever the receiver's window is used up. */
  async write(chunk: Chunk): Promise<void> {
    if (this.localEnded || this.closed) throw new RpcError(RpcErrorCode.StreamViolation, `stream ${this.id}: write after end`);
    const isText = typeof chunk === 'string';
    let buf = isText ? Buffer.from(chunk, 'utf8') : chunk;
    while (buf.length > 0) {
      while (this.sendCredit <= 0) await this.waitForCredit();
      if (this.closed) throw this.closedWith ?? new RpcError(RpcErrorCode.Cancelled, `stream ${this.id} closed`);
      // Text is only split on the wire as base64 so multi-byte characters survive.
      const n = Math.min(buf.length, this.sendCredit, MAX_CHUNK_BYTES);
      const part = buf.subarray(0, n);
      buf = buf.subarray(n);
      this.sendCredit -= n;
      const whole = isText && n === Buffer.byteLength(chunk as string) ;
      this.wire.send(whole ? { t: 'data', id: this.id, enc: 'utf8', chunk } : { t: 'data', id: this.id, enc: 'base64', chunk: part.toString('base64') });
    }
  }

  /** Half-closes: no more writes from this end. */
  end(): void {
    if (this.localEnded || this.closed) return;
    this.localEnded = true;
    this.wire.send({ t: 'eof', id: this.id });
  }

  /** Asks the far end to resize its TTY. */
  resize(cols: number, rows: number): void {
    if (!this.closed) this.wire.send({ t: 'ctl', id: this.id, resize: { cols, rows } });
  }

  /** Sends a signal name (e.g. "INT") to the far end's process. */
  signal(name: string): void {
    if (!this.closed) this.wire.send({ t: 'ctl', id: this.id, signal: name });
  }

  /** Registers a listener for resize/signal messages from the far end. */
  onControl(listener: (c: ControlMsg) => void): void {
    this.controlListeners.push(listener);
  }

  /** True once the far end sent eof (or the call finished). */
  get ended(): boolean {
    return this.remoteEnded;
  }

  /** Reads everything until the far end ends the stream. */
  async readAll(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of this) parts.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
    return Buffer.concat(parts);
  }

  [Symbol.asyncIterator](): AsyncIterator<Chunk> {
    return {
      next: () => {
        const chunk = this.queue.shift();
        if (chunk !== undefined) {
          this.consumed(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length);
          return Promise.resolve({ value: chunk, done: false });
        }
        if (this.closedWith) return Promise.reject(this.closedWith);
        if (this.remoteEnded || this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.reader = resolve;
          this.readerReject = reject;
        });
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }

  // ---- called by the session ----

  /** Incoming data; returns an error message if the sender overran its credit. */
  receiveData(enc: 'utf8' | 'base64', chunk: string): string | null {
    if (this.remoteEnded || this.closed) return null;
    const value: Chunk = enc === 'utf8' ? chunk : Buffer.from(chunk, 'base64');
    const size = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
    if (size > this.recvAllowed) return `stream ${this.id}: sender exceeded its credit (${size} > ${this.recvAllowed})`;
    this.recvAllowed -= size;
    const reader = this.reader;
    if (reader) {
      this.reader = null;
      this.readerReject = null;
      this.consumed(size);
      reader({ value, done: false });
    } else {
      this.queue.push(value);
    }
    return null;
  }

  receiveCredit(bytes: number): void {
    this.sendCredit += bytes;
    const w = this.creditWaiter;
    this.creditWaiter = null;
    w?.resolve();
  }

  receiveEof(): void {
    this.remoteEnded = true;
    this.wakeReader();
  }

  receiveControl(c: ControlMsg): void {
    for (const l of this.controlListeners) {
      try {
        l(c);
      } catch {
        // A listener's bug must not break the session.
      }
    }
  }

  /** The call finished: readers drain what is queued, writers fail. */
  close(err: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    this.remoteEnded = true;
    if (err && this.queue.length === 0) this.closedWith = err;
    const w = this.creditWaiter;
    this.creditWaiter = null;
    w?.reject(err ?? new RpcError(RpcErrorCode.Cancelled, `stream ${this.id} closed`));
    this.wakeReader();
  }

  private wakeReader(): void {
    if (!this.reader || this.queue.length > 0) return;
    const reader = this.reader;
    const reject = this.readerReject;
    this.reader = null;
    this.readerReject = null;
    if (this.closedWith && reject) reject(this.closedWith);
    else reader({ value: undefined, done: true });
  }

  private consumed(size: number): void {
    this.recvUnacked += size;
    // Batch credit so a stream of small chunks does not double the frame count.
    if (this.recvUnacked >= INITIAL_STREAM_WINDOW / 4 || (this.queue.length === 0 && this.recvUnacked >= 16 * 1024)) {
      const bytes = this.recvUnacked;
      this.recvUnacked = 0;
      this.recvAllowed += bytes;
      if (!this.closed) this.wire.send({ t: 'credit', id: this.id, bytes });
    }
  }

  private waitForCredit(): Promise<void> {
    if (this.closed) return Promise.reject(this.closedWith ?? new RpcError(RpcErrorCode.Cancelled, `stream ${this.id} closed`));
    return new Promise((resolve, reject) => {
      this.creditWaiter = { resolve, reject };
    });
  }
}
