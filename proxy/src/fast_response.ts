/**
 * The fast path's request and response objects: the subset of IncomingMessage/ServerResponse the
 * request pipeline uses, written straight to the client socket. The response head is serialized
 * exactly as node's ServerResponse does for `writeHead(status, [message], headers)` (headers as
 * given, then Date, Connection/Keep-Alive, and Transfer-Encoding: chunked when no length is known).
 */
import { STATUS_CODES, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/** A request body of known length as it arrives (fast_connection.ts FastBody). */
export interface FastBodySource {
  readonly length: number;
  read(onData: (chunk: Buffer) => void, onEnd: () => void): void;
  pause(): void;
  resume(): void;
}

export class FastRequest {
  readonly httpVersion = '1.1';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: IncomingHttpHeaders,
    /** Null when the request has no body. */
    readonly body: FastBodySource | null,
  ) {}
}

/** What a response needs from its connection. */
export interface ResponseOwner {
  readonly socket: Socket;
  readonly keepAliveTimeoutSeconds: number;
  /** The last byte has been handed to the kernel; `close` = the connection must end now. */
  responseFinished(close: boolean): void;
}

let cachedDate = '';
let cachedDateAt = 0;
function utcDate(): string {
  const now = Date.now();
  if (now - cachedDateAt >= 1000 || cachedDate === '') {
    cachedDateAt = now - (now % 1000);
    cachedDate = new Date(cachedDateAt).toUTCString();
  }
  return cachedDate;
}

export class FastResponse {
  statusCode = 200;
  headersSent = false;
  writableFinished = false;
  destroyed = false;
  private head: string | null = null;
  private sentHeaders: OutgoingHttpHeaders | null = null;
  private chunked = false;
  private hasBody: boolean;
  private closeAfter = false;
  private ended = false;
  private closeListeners: Array<() => void> = [];

  constructor(private readonly owner: ResponseOwner, method: string) {
    this.hasBody = method !== 'HEAD';
  }

  get socket(): Socket {
    return this.owner.socket;
  }

  once(_event: 'close', listener: () => void): this {
    this.closeListeners.push(listener);
    return this;
  }

  getHeader(name: string): string | number | string[] | undefined {
    return this.sentHeaders?.[name.toLowerCase()] ?? undefined;
  }

  writeHead(status: number, messageOrHeaders?: string | OutgoingHttpHeaders, maybeHeaders?: OutgoingHttpHeaders): this {
    const message = typeof messageOrHeaders === 'string' ? messageOrHeaders : (STATUS_CODES[status] ?? 'unknown');
    const headers = (typeof messageOrHeaders === 'string' ? maybeHeaders : messageOrHeaders) ?? {};
    this.statusCode = status;
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) this.hasBody = false;
    let text = `HTTP/1.1 ${status} ${message}\r\n`;
    let hasDate = false;
    let hasConnection = false;
    let hasLength = false;
    const lowered: OutgoingHttpHeaders = {};
    for (const key in headers) {
      const value = headers[key];
      if (value === undefined) continue;
      const lower = key.toLowerCase();
      lowered[lower] = value;
      if (lower === 'date') hasDate = true;
      else if (lower === 'connection') {
        hasConnection = true;
        if (/close/i.test(String(value))) this.closeAfter = true;
      } else if (lower === 'content-length') hasLength = true;
      if (Array.isArray(value)) for (const v of value) text += `${key}: ${v}\r\n`;
      else text += `${key}: ${value}\r\n`;
    }
    this.sentHeaders = lowered;
    if (!hasDate) text += `Date: ${utcDate()}\r\n`;
    if (!hasConnection) text += `Connection: keep-alive\r\nKeep-Alive: timeout=${this.owner.keepAliveTimeoutSeconds}\r\n`;
    if (!hasLength && this.hasBody) {
      text += 'Transfer-Encoding: chunked\r\n';
      this.chunked = true;
    }
    this.head = text + '\r\n';
    this.headersSent = true;
    return this;
  }

  /** Body bytes; false when the socket's buffer is full (wait for its 'drain'). */
  write(chunk: Buffer): boolean {
    if (this.destroyed || this.ended) return false;
    return this.writeBody(chunk);
  }

  /** Sends the head now (streamed responses, as node's flushHeaders). */
  flushHeaders(): void {
    if (!this.destroyed) this.flushHead();
  }

  private writeBody(chunk: Buffer): boolean {
    const socket = this.owner.socket;
    if (!this.hasBody || chunk.length === 0) return this.flushHead();
    socket.cork();
    this.flushHead();
    if (this.chunked) socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    const ok = socket.write(chunk);
    if (this.chunked) socket.write('\r\n', 'latin1');
    socket.uncork();
    return ok;
  }

  end(body?: string | Buffer): this {
    if (this.destroyed || this.ended) return this;
    if (!this.headersSent) this.writeHead(this.statusCode, {});
    this.ended = true;
    const socket = this.owner.socket;
    socket.cork();
    if (body !== undefined && body.length > 0) this.writeBody(typeof body === 'string' ? Buffer.from(body) : body);
    this.flushHead();
    const tail = this.chunked && this.hasBody ? '0\r\n\r\n' : '';
    socket.write(tail, 'latin1', (err) => {
      if (err || this.destroyed) return;
      this.writableFinished = true;
      this.emitClose();
      this.owner.responseFinished(this.closeAfter);
    });
    socket.uncork();
    return this;
  }

  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.owner.socket.destroy();
    }
    return this;
  }

  /** The client connection closed (or was destroyed) before this response finished. */
  socketClosed(): void {
    if (this.writableFinished) return;
    this.destroyed = true;
    this.emitClose();
  }

  private flushHead(): boolean {
    if (this.head === null) return true;
    const head = this.head;
    this.head = null;
    return this.owner.socket.write(head, 'latin1');
  }

  private emitClose(): void {
    const listeners = this.closeListeners;
    this.closeListeners = [];
    for (const l of listeners) l();
  }
}
