/**
 * One client connection on the fast path: plain HTTP/1.1 keep-alive requests whose head arrives
 * whole and passes the strict parser are served here without node:http. At the first request
 * that does not (chunked, Upgrade, Expect, HTTP/1.0, Connection: close, a head split across
 * packets, malformed or oversized heads, bodies a buffering service would spill, paused services)
 * the connection, with the bytes not yet consumed, is handed to node:http for good, which then
 * behaves as before.
 */
import type { Socket } from 'node:net';
import { parseRequestHead, MAX_HEAD_BYTES, type RequestHead } from './http1_parser.js';
import { FastRequest, FastResponse, type FastBodySource, type ResponseOwner } from './fast_response.js';
import { answerAndClose, REQUEST_TIMEOUT, type ClientTimeouts } from './client_limits.js';

export interface FastHandler {
  /** Whether this request may be served on the fast path; false hands the connection to node:http. */
  accepts(head: RequestHead): boolean;
  serve(req: FastRequest, res: FastResponse, peer: { address: string; port: number }): void;
}

/** A request body of known length, as it arrives on the connection. */
export class FastBody implements FastBodySource {
  /** Bytes still to arrive from the client. */
  remaining: number;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private onData: ((chunk: Buffer) => void) | null = null;
  private onEnd: (() => void) | null = null;

  constructor(readonly length: number, private readonly socket: Socket) {
    this.remaining = length;
  }

  get complete(): boolean {
    return this.remaining === 0;
  }

  /** From the connection. */
  deliver(chunk: Buffer): void {
    this.remaining -= chunk.length;
    if (this.onData) this.onData(chunk);
    else {
      this.queued.push(chunk);
      this.queuedBytes += chunk.length;
      if (this.queuedBytes > 64 * 1024) this.socket.pause();
    }
    if (this.remaining === 0 && this.onData) this.onEnd?.();
  }

  /** Starts delivering (queued bytes first); `onEnd` once every byte has been delivered. */
  read(onData: (chunk: Buffer) => void, onEnd: () => void): void {
    this.onData = onData;
    this.onEnd = onEnd;
    const queued = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    for (const c of queued) onData(c);
    this.socket.resume();
    if (this.remaining === 0) onEnd();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}

interface Current {
  res: FastResponse;
  body: FastBody | null;
  /** Body bytes still to be read and thrown away after the response ended early. */
  discard: number;
}

export class FastConnection implements ResponseOwner {
  readonly keepAliveTimeoutSeconds: number;
  private pending: Buffer | null = null;
  private current: Current | null = null;
  private handedOver = false;
  private closing = false;
  /** The socket's inactivity timeout now: headersMs until the first request, idleMs between requests, bodyMs while a body is read. */
  private armedMs = 0;
  private readonly peer: { address: string; port: number };
  private readonly onData = (chunk: Buffer): void => this.received(chunk);

  constructor(
    readonly socket: Socket,
    private readonly handler: FastHandler,
    private readonly handOver: (socket: Socket) => void,
    private readonly timeouts: ClientTimeouts,
    private readonly onGone: (c: FastConnection) => void,
  ) {
    this.keepAliveTimeoutSeconds = Math.floor(timeouts.idleMs / 1000);
    const remote = socket.remoteAddress ?? '';
    this.peer = { address: remote.startsWith('::ffff:') ? remote.slice(7) : remote, port: socket.remotePort ?? 0 };
    socket.setNoDelay(true);
    // A new connection has headersMs to send its first request (one whose head is split is node:http's, with the same limit).
    this.arm(timeouts.headersMs);
    socket.on('timeout', this.onTimeout);
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.once('close', this.onClose);
  }

  get idle(): boolean {
    return this.current === null;
  }

  /** Server stopping: idle connections close now, busy ones after their response. */
  close(): void {
    this.closing = true;
    if (this.current === null) this.socket.destroy();
  }

  responseFinished(close: boolean): void {
    const current = this.current;
    if (current === null) return;
    if (close || this.closing) {
      this.current = null;
      return void this.socket.destroySoon();
    }
    if (current.body && current.body.remaining > 0) {
      // The response ended before the request body was read: read the rest and drop it, as node does.
      current.discard = current.body.remaining;
      this.socket.resume();
      return;
    }
    this.current = null;
    this.next();
  }

  /** Timers are per connection: the socket's own inactivity timer, re-set only when the limit changes. */
  private arm(ms: number): void {
    if (ms === this.armedMs) return;
    this.armedMs = ms;
    this.socket.setTimeout(ms);
  }

  private readonly onTimeout = (): void => {
    const current = this.current;
    // Idle between requests, or no request yet: close quietly, as node:http does.
    if (current === null) return void this.socket.destroy();
    // Waiting for the target or sending the response: the target timeout and the client's pace rule that.
    if (current.body === null || current.body.remaining === 0) return;
    // Reading paused (the target is slow to take the body): not the client's fault, look again later.
    if (this.socket.isPaused()) return void this.socket.setTimeout(this.armedMs);
    this.bodyTimedOut(current);
  };

  /** The client went silent mid-body: 408 if nothing was answered yet, else the connection is cut. */
  private bodyTimedOut(current: Current): void {
    const answered = current.res.headersSent || current.discard > 0;
    current.res.socketClosed();
    this.current = null;
    this.socket.removeListener('data', this.onData);
    if (answered) this.socket.destroy();
    else answerAndClose(this.socket, REQUEST_TIMEOUT);
  }

  private readonly onError = (): void => {
    this.socket.destroy();
  };

  private readonly onClose = (): void => {
    if (this.handedOver) return;
    this.current?.res.socketClosed();
    this.onGone(this);
  };

  private received(chunk: Buffer): void {
    const current = this.current;
    if (current !== null) {
      if (current.discard > 0) {
        const n = Math.min(current.discard, chunk.length);
        current.discard -= n;
        if (current.body) current.body.remaining -= n;
        chunk = chunk.subarray(n);
        if (current.discard === 0) {
          this.current = null;
          this.stash(chunk);
          return this.next();
        }
        return;
      }
      if (current.body && current.body.remaining > 0) {
        const n = Math.min(current.body.remaining, chunk.length);
        current.body.deliver(n === chunk.length ? chunk : chunk.subarray(0, n));
        chunk = chunk.subarray(n);
      }
      this.stash(chunk);
      // Pipelined requests wait for the current one; stop reading if they pile up.
      if (this.pending !== null && this.pending.length > MAX_HEAD_BYTES) this.socket.pause();
      return;
    }
    this.stash(chunk);
    this.next();
  }

  private stash(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
  }

  /** Serves the next buffered request, if any. */
  private next(): void {
    const buf = this.pending;
    if (this.handedOver) return;
    if (buf === null) return this.arm(this.timeouts.idleMs);
    if (this.socket.isPaused()) this.socket.resume();
    const head = parseRequestHead(buf);
    if (head === null || head === 'incomplete' || !this.handler.accepts(head)) return this.giveToNodeHttp();
    let rest: Buffer | null = buf.length > head.headLength ? buf.subarray(head.headLength) : null;
    const body = head.contentLength > 0 ? new FastBody(head.contentLength, this.socket) : null;
    if (body && rest) {
      const n = Math.min(body.remaining, rest.length);
      body.deliver(rest.subarray(0, n));
      rest = rest.length > n ? rest.subarray(n) : null;
    }
    this.pending = rest;
    if (body !== null && body.remaining > 0) this.arm(this.timeouts.bodyMs);
    const res = new FastResponse(this, head.method);
    this.current = { res, body, discard: 0 };
    this.handler.serve(new FastRequest(head.method, head.url, head.headers, body), res, this.peer);
  }

  private giveToNodeHttp(): void {
    this.handedOver = true;
    const socket = this.socket;
    socket.removeListener('data', this.onData);
    socket.removeListener('timeout', this.onTimeout);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
    socket.setTimeout(0);
    socket.pause();
    if (this.pending !== null) socket.unshift(this.pending);
    this.pending = null;
    this.onGone(this);
    this.handOver(socket);
    socket.resume();
  }
}
