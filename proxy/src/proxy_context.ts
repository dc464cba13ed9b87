/** What a target needs to forward one request, prepared by the service that routed it. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse, IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';

export interface ProxyContext {
  req: IncomingMessage;
  /** Absent for upgrade (WebSocket) requests, which own the raw socket instead. */
  res: ServerResponse | null;
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
  log: { target: string; status: number };
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/** Copies headers without hop-by-hop ones (and those the Connection header names). */
export function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ...headers };
  const connection = headers.connection;
  if (connection) for (const name of connection.split(',')) delete out[name.trim().toLowerCase()];
  for (const name of HOP_BY_HOP) delete out[name];
  return out;
}
