/** One upstream target: health state, request forwarding (streamed or buffered), WebSockets, draining. */
import http from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { HealthCheck, buildHealthCheckUrl, splitHostPort } from './health_check.js';
import type { TargetOptions } from './options.js';
import { bufferAll, MaximumSizeExceededError, type SpillBuffer } from './buffer.js';
import { withoutHopByHop, isStreamingResponse, type ProxyContext } from './proxy_context.js';
import { FastResponse, type FastRequest } from './fast_response.js';
import { forwardFast, type ForwardTarget } from './fast_forward.js';
import { UpstreamPool } from './upstream_client.js';
import { endsChunked } from './http1_parser.js';

export { isStreamingResponse };

export type TargetState = 'adding' | 'healthy' | 'unhealthy' | 'draining';

const NAME_PATTERN = /^(\w[-_.\w+]+)(:\d+)?$/;

export function validateTargetName(name: string): string | null {
  return NAME_PATTERN.test(name) ? null : `${name} :invalid host pattern`;
}

interface InFlight {
  hijacked: boolean;
  cancel(): void;
}

export class Target implements ForwardTarget {
  state: TargetState = 'adding';
  readonly host: string;
  readonly port: number;
  private readonly agent: http.Agent;
  /** Keep-alive connections of the fast path (fast_forward.ts). */
  readonly pool: UpstreamPool;
  private readonly inflight = new Set<InFlight>();
  private emptyWaiters: Array<() => void> = [];
  private healthCheck: HealthCheck | null = null;

  constructor(readonly address: string, readonly options: TargetOptions) {
    const { host, port } = splitHostPort(address);
    this.host = host;
    this.port = port ?? 80;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 100, scheduling: 'lifo' });
    this.pool = new UpstreamPool(this.host, this.port, 100);
  }

  get responseTimeoutMs(): number {
    return this.options.responseTimeoutMs;
  }

  track(entry: InFlight): () => void {
    this.inflight.add(entry);
    return () => {
      if (this.inflight.delete(entry) && this.inflight.size === 0) this.notifyEmpty();
    };
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Starts checks; `onChange` fires whenever the health state changes. */
  beginHealthChecks(onChange: (target: Target) => void): void {
    const url = buildHealthCheckUrl(this.address, this.options.healthCheck);
    this.healthCheck = new HealthCheck(url, this.options.healthCheck, (ok) => {
      if (this.state === 'draining') return;
      const next: TargetState = ok ? 'healthy' : this.state === 'adding' ? 'adding' : 'unhealthy';
      if (next !== this.state) {
        this.state = next;
        onChange(this);
      }
    });
    this.healthCheck.start();
  }

  stopHealthChecks(): void {
    this.healthCheck?.stop();
    this.healthCheck = null;
  }

  markHealthy(): void {
    this.state = 'healthy';
  }

  /** Forwards a request; resolves when the exchange is over. */
  serve(ctx: ProxyContext): void {
    ctx.log.target = this.address;
    this.setTargetHeader(ctx);
    if (ctx.socket) return this.serveUpgrade(ctx, ctx.socket, ctx.head ?? Buffer.alloc(0));
    if (ctx.res instanceof FastResponse) return forwardFast(this, ctx, ctx.req as FastRequest, ctx.res);
    void this.serveHttp(ctx, ctx.res as http.ServerResponse);
  }

  private setTargetHeader(ctx: ProxyContext): void {
    const prior = ctx.req.headers['x-kamal-target'];
    ctx.headers['x-kamal-target'] = ctx.forwardHeaders && prior ? `${prior}, ${this.address}` : this.address;
  }

  private async serveHttp(ctx: ProxyContext, res: http.ServerResponse): Promise<void> {
    const req = ctx.req as http.IncomingMessage;
    let cancelled = false;
    let upstream: http.ClientRequest | null = null;
    let requestBuffer: SpillBuffer | null = null;
    const entry: InFlight = {
      hijacked: false,
      cancel: () => {
        cancelled = true;
        if (upstream) upstream.destroy();
        else finishWith(504);
      },
    };
    const done = (): void => {
      if (!this.inflight.delete(entry)) return;
      void requestBuffer?.dispose();
      if (this.inflight.size === 0) this.notifyEmpty();
    };
    const finishWith = (status: number): void => {
      if (!res.headersSent) ctx.sendError(status);
      else res.destroy();
    };
    this.inflight.add(entry);
    res.once('close', () => {
      if (!res.writableFinished) {
        ctx.log.status = 499;
        upstream?.destroy();
      }
      done();
    });

    let body: Readable = req;
    const o = this.options;
    if (o.bufferRequests) {
      try {
        requestBuffer = await bufferAll(req, o.maxRequestBodySize, o.maxMemoryBufferSize);
      } catch (err) {
        if (res.destroyed) return;
        req.resume();
        return finishWith(err instanceof MaximumSizeExceededError ? 413 : 400);
      }
      if (cancelled || res.destroyed) return;
      delete ctx.headers['transfer-encoding'];
      ctx.headers['content-length'] = String(requestBuffer.size);
      body = await requestBuffer.reader();
    }

    let timedOut = false;
    const replayable = isReplayable(req);
    const send = (attempt: number): void => {
      const request = http.request({
        host: this.host, port: this.port, method: req.method, path: ctx.upstreamPath,
        headers: ctx.headers, agent: this.agent,
      });
      upstream = request;
      const timer = o.responseTimeoutMs > 0
        ? setTimeout(() => { timedOut = true; request.destroy(); }, o.responseTimeoutMs)
        : null;
      request.once('response', (upstreamRes) => {
        if (timer) clearTimeout(timer);
        this.relayResponse(ctx, res, upstreamRes, finishWith);
      });
      request.once('error', (err: NodeJS.ErrnoException) => {
        if (timer) clearTimeout(timer);
        if (res.destroyed) return;
        // A kept-alive connection the target closed meanwhile: safe to try once more, as Go's transport does.
        if (replayable && attempt === 0 && request.reusedSocket && !cancelled && !timedOut &&
            (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          return send(1);
        }
        finishWith(cancelled || timedOut ? 504 : 502);
      });
      if (attempt > 0 || replayable) {
        request.end();
        if (attempt === 0) req.resume();
        return;
      }
      body.once('error', () => request.destroy());
      body.pipe(request);
    };
    send(0);
  }

  private relayResponse(
    ctx: ProxyContext, res: http.ServerResponse, upstreamRes: http.IncomingMessage, finishWith: (status: number) => void,
  ): void {
    const status = upstreamRes.statusCode ?? 502;
    const te = upstreamRes.headers['transfer-encoding'];
    // node's client reads such a body until close, still encoded; refused as on the fast path (http1_parser.ts).
    if (te !== undefined && !endsChunked(te)) {
      upstreamRes.destroy();
      return finishWith(502);
    }
    ctx.adjustResponseHeaders(status, upstreamRes.headers);
    const headers = withoutHopByHop(upstreamRes.headers);
    const o = this.options;
    const streaming = isStreamingResponse(upstreamRes.headers);
    if (!o.bufferResponses || streaming) {
      upstreamRes.once('error', () => res.destroy());
      ctx.log.status = status;
      ctx.log.sent = headers;
      res.writeHead(status, upstreamRes.statusMessage, headers);
      if (streaming) res.flushHeaders();
      upstreamRes.pipe(res);
      return;
    }
    // bufferAll sees the stream's errors too; this also keeps one arriving after it stopped reading harmless.
    let upstreamFailed = false;
    upstreamRes.on('error', () => { upstreamFailed = true; });
    bufferAll(upstreamRes, o.maxResponseBodySize, o.maxMemoryBufferSize).then(
      async (buffered) => {
        if (res.destroyed) return void buffered.dispose();
        headers['content-length'] = String(buffered.size);
        ctx.log.status = status;
        ctx.log.sent = headers;
        res.writeHead(status, upstreamRes.statusMessage, headers);
        const reader = await buffered.reader();
        reader.once('end', () => void buffered.dispose());
        reader.pipe(res);
      },
      // Over --max-response-body (even while the target is still sending) or the buffer failing: 500;
      // the target failing mid-body: the client connection is cut, as without buffering.
      (err: unknown) => {
        upstreamRes.destroy();
        if (upstreamFailed && !(err instanceof MaximumSizeExceededError)) res.destroy();
        else finishWith(500);
      },
    );
  }

  private serveUpgrade(ctx: ProxyContext, socket: Duplex, head: Buffer): void {
    const req = ctx.req as http.IncomingMessage;
    const headers = { ...ctx.headers, connection: 'Upgrade', upgrade: req.headers.upgrade ?? 'websocket' };
    const request = http.request({ host: this.host, port: this.port, method: req.method, path: ctx.upstreamPath, headers, agent: false });
    let upstreamSocket: Duplex | null = null;
    const entry: InFlight = {
      hijacked: false,
      cancel: () => {
        request.destroy();
        upstreamSocket?.destroy();
        socket.destroy();
      },
    };
    this.inflight.add(entry);
    const done = (): void => {
      if (this.inflight.delete(entry) && this.inflight.size === 0) this.notifyEmpty();
    };
    socket.once('close', () => {
      request.destroy();
      upstreamSocket?.destroy();
      done();
    });
    socket.on('error', () => socket.destroy());
    request.once('upgrade', (upstreamRes, upSocket, upHead) => {
      entry.hijacked = true;
      upstreamSocket = upSocket;
      ctx.log.status = 101;
      let head101 = `HTTP/1.1 ${upstreamRes.statusCode} ${upstreamRes.statusMessage}\r\n`;
      const raw = upstreamRes.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) head101 += `${raw[i]}: ${raw[i + 1]}\r\n`;
      socket.write(head101 + '\r\n');
      if (upHead.length > 0) socket.write(upHead);
      if (head.length > 0) upSocket.write(head);
      upSocket.on('error', () => socket.destroy());
      upSocket.once('close', () => socket.destroy());
      upSocket.pipe(socket);
      socket.pipe(upSocket);
    });
    request.once('response', (upstreamRes) => {
      // The target declined the upgrade: relay its plain answer and close.
      ctx.log.status = upstreamRes.statusCode ?? 502;
      let text = `HTTP/1.1 ${upstreamRes.statusCode} ${upstreamRes.statusMessage}\r\n`;
      const raw = upstreamRes.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) {
        if (!/^(connection|transfer-encoding|keep-alive)$/i.test(raw[i]!)) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
      }
      socket.write(text + 'Connection: close\r\n\r\n');
      upstreamRes.pipe(socket);
    });
    request.once('error', () => {
      if (!entry.hijacked) ctx.sendError(502);
      socket.destroy();
    });
    request.end();
  }

  /**
   * Stops taking part and lets in-flight requests finish for up to `timeoutMs`; upgraded
   * connections are cut at once, stragglers are cancelled (their clients get 504).
   */
  async drain(timeoutMs: number): Promise<void> {
    this.state = 'draining';
    this.stopHealthChecks();
    for (const entry of this.inflight) if (entry.hijacked) entry.cancel();
    await this.waitForInflight(timeoutMs);
    for (const entry of [...this.inflight]) entry.cancel();
    await this.waitForInflight(1000);
    this.agent.destroy();
    this.pool.destroy();
  }

  /** Waits for in-flight requests to finish, up to timeoutMs; cancels none. */
  waitForInflight(timeoutMs: number): Promise<void> {
    if (this.inflight.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(finish, Math.max(0, timeoutMs));
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      this.emptyWaiters.push(finish);
    });
  }

  cancelInflight(): void {
    for (const entry of [...this.inflight]) entry.cancel();
  }

  private notifyEmpty(): void {
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const w of waiters) w();
  }
}

/** Bodiless GET/HEAD/OPTIONS/TRACE can be resent when a reused upstream connection turns out dead. */
function isReplayable(req: http.IncomingMessage): boolean {
  const m = req.method;
  if (m !== 'GET' && m !== 'HEAD' && m !== 'OPTIONS' && m !== 'TRACE') return false;
  const length = req.headers['content-length'];
  return (length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined;
}
