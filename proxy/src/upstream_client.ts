/**
 * The fast path's client towards a target: a LIFO pool of keep-alive sockets, the request head
 * written in one go (serialized as node's ClientRequest does), the response head parsed once and
 * the body handed on as it arrives (Content-Length, chunked or until close).
 */
import net from 'node:net';
import type { OutgoingHttpHeaders } from 'node:http';
import { parseResponseHead, ChunkedDecoder, UpstreamProtocolError, type ResponseHead } from './http1_parser.js';
import type { FastBodySource } from './fast_response.js';

export class UpstreamPool {
  private idle: net.Socket[] = [];
  private closed = false;

  constructor(readonly host: string, readonly port: number, private readonly maxFree = 100) {}

  acquire(): { socket: net.Socket; reused: boolean } {
    while (this.idle.length > 0) {
      const socket = this.idle.pop()!;
      socket.removeListener('close', this.forget);
      socket.removeListener('end', this.forget);
      socket.removeListener('data', onIdleData);
      // A connection the target has half-closed (FIN seen, close not yet) is not reused.
      if (!socket.destroyed && socket.writable && !socket.readableEnded) return { socket, reused: true };
      socket.destroy();
    }
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    return { socket, reused: false };
  }

  release(socket: net.Socket): void {
    if (this.closed || socket.destroyed || this.idle.length >= this.maxFree) return void socket.destroy();
    socket.on('close', this.forget);
    socket.on('end', this.forget);
    socket.on('data', onIdleData);
    this.idle.push(socket);
  }

  get idleCount(): number {
    return this.idle.length;
  }

  destroy(): void {
    this.closed = true;
    for (const s of this.idle) s.destroy();
    this.idle = [];
  }

  /** Listener on idle sockets (`this` = the socket that ended or closed). */
  private readonly forget = function (this: net.Socket): void {
    poolOf.get(this)?.drop(this);
    this.destroy();
  };

  drop(socket: net.Socket): void {
    const i = this.idle.indexOf(socket);
    if (i >= 0) this.idle.splice(i, 1);
  }

  track(socket: net.Socket): void {
    poolOf.set(socket, this);
  }
}

const poolOf = new WeakMap<net.Socket, UpstreamPool>();

/** An idle connection must stay silent; anything it sends makes it unusable. */
function onIdleData(this: net.Socket): void {
  this.destroy();
}

/** The request head as node's ClientRequest writes it for these headers over a keep-alive agent. */
export function serializeRequestHead(method: string, path: string, headers: OutgoingHttpHeaders, host: string, port: number): string {
  let text = `${method} ${path} HTTP/1.1\r\n`;
  let hasHost = false;
  let hasLength = false;
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined) continue;
    if (key === 'host') hasHost = true;
    else if (key === 'content-length') hasLength = true;
    if (Array.isArray(value)) for (const v of value) text += `${key}: ${v}\r\n`;
    else text += `${key}: ${value}\r\n`;
  }
  if (!hasHost) text += `Host: ${host}${port === 80 ? '' : `:${port}`}\r\n`;
  text += 'Connection: keep-alive\r\n';
  if (!hasLength && !BODILESS_BY_DEFAULT.has(method)) text += 'Content-Length: 0\r\n';
  return text + '\r\n';
}

const BODILESS_BY_DEFAULT = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

export interface UpstreamEvents {
  response(head: ResponseHead): void;
  /** A piece of the decoded body; false = stop until resume(). */
  data(chunk: Buffer): boolean;
  end(): void;
  /** Failed; `responded` = after the response head was delivered; `reused` = on a pooled connection. */
  error(err: NodeJS.ErrnoException, responded: boolean, reused: boolean): void;
}

/** One request/response over a pooled connection. */
export class UpstreamExchange {
  private socket: net.Socket | null = null;
  private reused = false;
  private buffer: Buffer | null = null;
  private head: ResponseHead | null = null;
  private remaining = 0;
  private decoder: ChunkedDecoder | null = null;
  private requestSent = false;
  private finished = false;

  constructor(
    private readonly pool: UpstreamPool,
    private readonly method: string,
    private readonly requestHead: string,
    private readonly body: FastBodySource | null,
    private readonly events: UpstreamEvents,
  ) {}

  start(): void {
    const { socket, reused } = this.pool.acquire();
    this.socket = socket;
    this.reused = reused;
    this.pool.track(socket);
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.write(this.requestHead, 'latin1');
    const body = this.body;
    if (body === null) {
      this.requestSent = true;
      return;
    }
    socket.on('drain', this.onDrain);
    body.read(
      (chunk) => { if (!this.finished && !socket.write(chunk)) body.pause(); },
      () => { this.requestSent = true; },
    );
  }

  /** The client drained: continue reading the body. */
  resume(): void {
    if (!this.finished) this.socket?.resume();
  }

  /** Cuts the exchange; reported through `error` unless already over. */
  abort(): void {
    if (this.finished) return;
    this.fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  }

  private readonly onDrain = (): void => {
    this.body?.resume();
  };

  private readonly onData = (chunk: Buffer): void => {
    if (this.finished) return;
    if (this.head !== null) return this.bodyData(chunk);
    const buf = this.buffer === null ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    for (;;) {
      let head: ResponseHead | 'incomplete';
      try {
        head = parseResponseHead(buf, this.method, offset);
      } catch (err) {
        return this.fail(Object.assign(err as Error, { code: 'HPE_INVALID' }));
      }
      if (head === 'incomplete') {
        this.buffer = offset === 0 ? buf : buf.subarray(offset);
        return;
      }
      offset += head.headLength;
      if (head.status === 101) return this.fail(new UpstreamProtocolError('unexpected 101 response'));
      if (head.status >= 200) {
        this.buffer = null;
        this.head = head;
        this.remaining = head.contentLength;
        if (head.framing === 'chunked') this.decoder = new ChunkedDecoder();
        this.events.response(head);
        if (this.finished) return;
        if (head.framing === 'length' && head.contentLength === 0 && offset === buf.length) return this.complete(true);
        return this.bodyData(buf.subarray(offset));
      }
      // 1xx informational: skipped, as node's client does for 'response'.
    }
  };

  private bodyData(chunk: Buffer): void {
    const head = this.head!;
    if (head.framing === 'close') {
      if (chunk.length > 0 && !this.events.data(chunk)) this.socket!.pause();
      return;
    }
    if (head.framing === 'length') {
      const n = Math.min(this.remaining, chunk.length);
      this.remaining -= n;
      const more = n > 0 ? this.events.data(n === chunk.length ? chunk : chunk.subarray(0, n)) : true;
      if (this.finished) return;
      if (this.remaining === 0) return this.complete(chunk.length === n);
      if (!more) this.socket!.pause();
      return;
    }
    let decoded: { data: Buffer[]; rest: Buffer | null };
    try {
      decoded = this.decoder!.push(chunk);
    } catch (err) {
      return this.fail(Object.assign(err as Error, { code: 'HPE_INVALID_CHUNK_SIZE' }));
    }
    let more = true;
    for (const piece of decoded.data) {
      more = this.events.data(piece) && more;
      if (this.finished) return;
    }
    if (this.decoder!.done) return this.complete(decoded.rest === null);
    if (!more) this.socket!.pause();
  }

  /** The response is over; `clean` = no stray bytes after it. */
  private complete(clean: boolean): void {
    this.finished = true;
    const socket = this.socket!;
    this.socket = null;
    this.detach(socket);
    // A request body not fully sent would be read by the target as the start of the next request.
    if (clean && this.head!.keepAlive && this.requestSent) {
      socket.resume();
      this.pool.release(socket);
    } else {
      socket.on('error', () => {});
      socket.destroy();
    }
    this.events.end();
  }

  private detach(socket: net.Socket): void {
    socket.removeListener('data', this.onData);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
    socket.removeListener('drain', this.onDrain);
  }

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    this.fail(err);
  };

  private readonly onClose = (): void => {
    if (this.finished) return;
    if (this.head?.framing === 'close') {
      this.finished = true;
      this.socket = null;
      this.events.end();
      return;
    }
    this.fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  };

  private fail(err: NodeJS.ErrnoException): void {
    if (this.finished) return;
    this.finished = true;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      this.detach(socket);
      socket.on('error', () => {});
      socket.destroy();
    }
    this.events.error(err, this.head !== null, this.reused);
  }
}
