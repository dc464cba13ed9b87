/**
 * Forwarding on the fast path: the same steps as Target.serveHttp, over the target's raw
 * keep-alive pool instead of node:http. Same in-flight tracking, drain/cancel (504 before the
 * response head, cut after), response timeout (504), unreachable (502), client gone (499), one
 * retry of a bodiless idempotent request on a reused connection found closed, and the same
 * request/response buffering rules (fast_buffering.ts).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { withoutHopByHop, isStreamingResponse, type ProxyContext } from './proxy_context.js';
import type { FastBodySource, FastRequest, FastResponse } from './fast_response.js';
import { serializeRequestHead, UpstreamExchange, type UpstreamPool } from './upstream_client.js';
import type { TargetOptions } from './options.js';
import { collectRequestBody, MemoryBody, requestBodyTooLarge, ResponseCollector } from './fast_buffering.js';

/** What the fast path needs from a Target. */
export interface ForwardTarget {
  readonly pool: UpstreamPool;
  readonly responseTimeoutMs: number;
  readonly options: Pick<TargetOptions, 'bufferRequests' | 'bufferResponses' | 'maxRequestBodySize' | 'maxResponseBodySize' | 'maxMemoryBufferSize'>;
  /** Registers an in-flight request; returns the function that unregisters it. */
  track(entry: { hijacked: boolean; cancel(): void }): () => void;
}

interface HeldResponse {
  status: number;
  message: string;
  headers: OutgoingHttpHeaders;
  collector: ResponseCollector;
}

export function forwardFast(target: ForwardTarget, ctx: ProxyContext, req: FastRequest, res: FastResponse): void {
  let cancelled = false;
  let timedOut = false;
  let exchange: UpstreamExchange | null = null;
  let held: HeldResponse | null = null;
  let replay: Readable | null = null;
  const o = target.options;
  const finishWith = (status: number): void => {
    if (!res.headersSent) ctx.sendError(status);
    else res.destroy();
  };
  const done = target.track({
    hijacked: false,
    cancel: () => {
      cancelled = true;
      if (exchange) exchange.abort();
      else finishWith(504);
    },
  });
  res.once('close', () => {
    if (!res.writableFinished) {
      ctx.log.status = 499;
      exchange?.abort();
    }
    replay?.destroy();
    if (held) void held.collector.buffer.dispose();
    done();
  });

  /** Sends a buffered response: its length now known, head and body together. */
  const release = async (h: HeldResponse): Promise<void> => {
    const stored = await h.collector.settled();
    if (res.destroyed) return;
    if (!stored) return finishWith(500);
    h.headers['content-length'] = String(h.collector.size);
    ctx.log.status = h.status;
    ctx.log.sent = h.headers;
    res.writeHead(h.status, h.message, h.headers);
    const chunks = h.collector.memoryChunks;
    if (chunks) return void res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    const reader = await h.collector.buffer.reader();
    replay = reader;
    reader.on('data', (chunk: Buffer) => {
      if (res.write(chunk)) return;
      reader.pause();
      res.socket.once('drain', () => reader.resume());
    });
    reader.once('end', () => res.end());
    reader.once('error', () => res.destroy());
  };

  const replayable = req.body === null && (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS');
  const forward = (body: FastBodySource | null): void => {
    const head = serializeRequestHead(req.method, ctx.upstreamPath, ctx.headers, target.pool.host, target.pool.port);
    const send = (attempt: number): void => {
      let timer: NodeJS.Timeout | null = null;
      const current: UpstreamExchange = new UpstreamExchange(target.pool, req.method, head, attempt === 0 ? body : null, {
        response: (upstream) => {
          if (timer) clearTimeout(timer);
          const status = upstream.status;
          ctx.adjustResponseHeaders(status, upstream.headers);
          const headers = withoutHopByHop(upstream.headers);
          const streaming = isStreamingResponse(upstream.headers);
          if (o.bufferResponses && !streaming) {
            held = { status, message: upstream.statusMessage, headers, collector: new ResponseCollector(o.maxResponseBodySize, o.maxMemoryBufferSize) };
            return;
          }
          ctx.log.status = status;
          ctx.log.sent = headers;
          res.writeHead(status, upstream.statusMessage, headers);
          if (streaming) res.flushHeaders();
        },
        data: (chunk) => {
          if (held) {
            if (held.collector.add(chunk, () => current.resume())) return true;
            if (held.collector.overflowed) current.abort();
            return false;
          }
          if (res.write(chunk)) return true;
          res.socket.once('drain', () => current.resume());
          return false;
        },
        end: () => {
          if (held) return void release(held).catch(() => finishWith(500));
          res.end();
        },
        error: (err, responded, reused) => {
          if (timer) clearTimeout(timer);
          if (res.destroyed) return;
          // Over --max-response-body while buffering: nothing was sent yet, so a 500 page.
          if (held?.collector.overflowed) return finishWith(500);
          if (responded) return void res.destroy();
          // A kept-alive connection the target closed meanwhile: safe to try once more, as Go's transport does.
          if (replayable && attempt === 0 && reused && !cancelled && !timedOut && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
            return send(1);
          }
          finishWith(cancelled || timedOut ? 504 : 502);
        },
      });
      exchange = current;
      if (target.responseTimeoutMs > 0) {
        timer = setTimeout(() => { timedOut = true; current.abort(); }, target.responseTimeoutMs);
      }
      current.start();
    };
    send(0);
  };

  if (!o.bufferRequests) return forward(req.body);
  // As Target.serveHttp: the whole body first (its length replaces any framing), or 413 over the limit.
  const setLength = (length: number): void => {
    delete ctx.headers['transfer-encoding'];
    ctx.headers['content-length'] = String(length);
  };
  if (req.body === null) {
    setLength(0);
    return forward(null);
  }
  if (requestBodyTooLarge(o, req.body.length)) return finishWith(413);
  collectRequestBody(req.body, (chunks) => {
    if (cancelled || res.destroyed) return;
    const body = new MemoryBody(chunks);
    setLength(body.length);
    forward(body.length > 0 ? body : null);
  });
}
