/** One incoming request as the server hands it to a service: the HTTP response or, for upgrades, the raw socket. */
import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import type { ProxyRequest, ProxyResponse } from './proxy_context.js';
import type { Duplex } from 'node:stream';
import { renderErrorPage, type ErrorPages } from './error_pages.js';

export interface RequestLog {
  service: string;
  target: string;
  status: number;
  /** Extra headers the service asked to log (--log-request-header / --log-response-header). */
  requestHeaders: string[];
  responseHeaders: string[];
  /** The response headers as sent (lower-case names), for the log. */
  sent: OutgoingHttpHeaders | null;
}

export interface Exchange {
  req: ProxyRequest;
  res: ProxyResponse | null;
  socket: Duplex | null;
  head: Buffer | null;
  scheme: 'http' | 'https';
  /** Peer IP, captured on arrival (the socket is detached from the request once closed). */
  clientIp: string;
  log: RequestLog;
  /** The serving service's custom pages, once routed. */
  pages: ErrorPages | null;
}

/** Proxy-generated error: HTML page on a response, a bare answer on an upgrade socket. */
export function sendError(ex: Exchange, status: number, message = ''): void {
  ex.log.status = status;
  const body = ex.req.method === 'HEAD' ? '' : renderErrorPage(status, ex.pages, message);
  if (ex.res) {
    if (ex.res.headersSent) return void ex.res.destroy();
    const headers = { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) };
    ex.log.sent = headers;
    ex.res.writeHead(status, headers);
    ex.res.end(body);
    return;
  }
  writeRaw(ex.socket!, status, { 'Content-Type': 'text/html; charset=utf-8' }, body);
}

export function sendStatus(ex: Exchange, status: number, headers: Record<string, string>, body = ''): void {
  ex.log.status = status;
  if (ex.res) {
    const sent = { ...headers, 'content-length': Buffer.byteLength(body) };
    ex.log.sent = lowerCased(sent);
    ex.res.writeHead(status, sent);
    ex.res.end(body);
    return;
  }
  writeRaw(ex.socket!, status, headers, body);
}

function writeRaw(socket: Duplex, status: number, headers: Record<string, string>, body: string): void {
  let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
  for (const [k, v] of Object.entries(headers)) text += `${k}: ${v}\r\n`;
  text += `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  socket.end(text);
}

function lowerCased(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}
