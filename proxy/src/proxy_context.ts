/** What a target needs to forward one request, prepared by the service that routed it. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse, IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastRequest, FastResponse } from './fast_response.js';

/** A request from node:http, or from the fast path (fast_connection.ts). */
export type ProxyRequest = IncomingMessage | FastRequest;
export type ProxyResponse = ServerResponse | FastResponse;

export interface ProxyContext {
  req: ProxyRequest;
  /** Absent for upgrade (WebSocket) requests, which own the raw socket instead. */
  res: ProxyResponse | null;
  socket: Duplex | null;
  head: Buffer | null;
  /** Routed path (prefix stripped, "" -> "/") plus the raw query, verbatim. */
  upstreamPath: string;
  /** Headers to send upstream; the target adds X-Kamal-Target. */
  headers: OutgoingHttpHeaders;
  forwardHeaders: boolean;
  /** Writes a proxy error page (or a bare response on an upgrade socket). */
  sendError(status: number, message?: string): void;
  /** Lets the load balancer and service adjust upstream response headers (cookies, affinity). */
  adjustResponseHeaders(status: number, headers: IncomingHttpHeaders): void;
  /** For the request log. */
  log: { target: string; status: number; sent: OutgoingHttpHeaders | null };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Copies headers without hop-by-hop ones (and those the Connection header names). */
export function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const connection = headers.connection;
  // Copying only what is kept (rather than copying all and deleting) keeps the object in V8's fast mode.
  const named = connection ? new Set(connection.split(',').map((n) => n.trim().toLowerCase())) : null;
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || (named !== null && named.has(name))) continue;
    out[name] = headers[name];
  }
  return out;
}

/** Server-sent events and chunked responses bypass response buffering. */
export function isStreamingResponse(headers: IncomingHttpHeaders): boolean {
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/event-stream') return true;
  return (headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked');
}
