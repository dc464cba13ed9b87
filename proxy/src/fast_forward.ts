/**
 * Forwarding on the fast path: the same steps as Target.serveHttp (streamed, no buffering), over
 * the target's raw keep-alive pool instead of node:http. Same in-flight tracking, drain/cancel
 * (504 before the response head, cut after), response timeout (504), unreachable (502), client
 * gone (499), and one retry of a bodiless idempotent request on a reused connection found closed.
 */
import { withoutHopByHop, isStreamingResponse, type ProxyContext } from './proxy_context.js';
import type { FastRequest, FastResponse } from './fast_response.js';
import { serializeRequestHead, UpstreamExchange, type UpstreamPool } from './upstream_client.js';

/** What the fast path needs from a Target. */
export interface ForwardTarget {
  readonly pool: UpstreamPool;
  readonly responseTimeoutMs: number;
  /** Registers an in-flight request; returns the function that unregisters it. */
  track(entry: { hijacked: boolean; cancel(): void }): () => void;
}

export function forwardFast(target: ForwardTarget, ctx: ProxyContext, req: FastRequest, res: FastResponse): void {
  let cancelled = false;
  let timedOut = false;
  let exchange: UpstreamExchange | null = null;
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
    done();
  });

  const replayable = req.body === null && (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS');
  const head = serializeRequestHead(req.method, ctx.upstreamPath, ctx.headers, target.pool.host, target.pool.port);
  const send = (attempt: number): void => {
    let timer: NodeJS.Timeout | null = null;
    const current: UpstreamExchange = new UpstreamExchange(target.pool, req.method, head, attempt === 0 ? req.body : null, {
      response: (upstream) => {
        if (timer) clearTimeout(timer);
        const status = upstream.status;
        ctx.adjustResponseHeaders(status, upstream.headers);
        const headers = withoutHopByHop(upstream.headers);
        ctx.log.status = status;
        ctx.log.sent = headers;
        res.writeHead(status, upstream.statusMessage, headers);
        if (isStreamingResponse(upstream.headers)) res.flushHeaders();
      },
      data: (chunk) => {
        if (res.write(chunk)) return true;
        res.socket.once('drain', () => current.resume());
        return false;
      },
      end: () => {
        res.end();
      },
      error: (err, responded, reused) => {
        if (timer) clearTimeout(timer);
        if (res.destroyed) return;
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
}
