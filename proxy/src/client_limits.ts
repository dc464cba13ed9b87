/**
 * How long a client may take, on both paths (fast_connection.ts and node:http), and the bare
 * answers given when a client breaks the rules. kamal-proxy v0.9.2 sets no server timeouts at all
 * (it removed its 30 s read / 60 s idle ones in 2024, so Go never times a client out); these are
 * ours, so a client trickling its request cannot hold a connection forever.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface ClientTimeouts {
  /** From a connection's start (TLS handshake included), or a request's first byte, until the request head is complete. */
  headersMs: number;
  /** Between requests on a keep-alive connection (advertised as `Keep-Alive: timeout=`). */
  idleMs: number;
  /** Longest silence from the client while the proxy is ready to read the request body. */
  bodyMs: number;
}

export const DEFAULT_CLIENT_TIMEOUTS: Readonly<ClientTimeouts> = { headersMs: 30_000, idleMs: 75_000, bodyMs: 30_000 };

/** How often node:http looks for requests over `headersMs` (its default is every 30 s). */
export function headersCheckIntervalMs(t: ClientTimeouts): number {
  return Math.max(10, Math.min(1000, Math.floor(t.headersMs / 10)));
}

const bare = (status: string): string => `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
export const BAD_REQUEST = bare('400 Bad Request');
export const REQUEST_TIMEOUT = bare('408 Request Timeout');
const HEADERS_TOO_LARGE = bare('431 Request Header Fields Too Large');
const CHUNK_EXTENSIONS_TOO_LARGE = bare('413 Payload Too Large');

/** The responses node:http's own clientError handling picks, by error code. */
function answerFor(code: string | undefined): string {
  if (code === 'HPE_HEADER_OVERFLOW') return HEADERS_TOO_LARGE;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return REQUEST_TIMEOUT;
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return CHUNK_EXTENSIONS_TOO_LARGE;
  return BAD_REQUEST;
}

/** The response in progress on each node:http connection, so an error never lands inside it. */
const responses = new WeakMap<Duplex, ServerResponse>();

export function trackResponse(req: IncomingMessage, res: ServerResponse): void {
  responses.set(req.socket, res);
}

/** node:tls's own errors (handshake timeout, OpenSSL's ERR_SSL_*) come before any HTTP on the socket. */
const isTlsError = (code: string | undefined): boolean => code !== undefined && (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_'));

/** node:http's 'clientError': a bare answer unless a response already started on this connection, then close. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // An answer written before the TLS handshake completes stays queued and holds the socket open.
  if (isTlsError(err.code)) return void socket.destroy();
  const res = responses.get(socket);
  const responding = res !== undefined && res.headersSent && !res.writableFinished;
  if (socket.writable && !responding) answerAndClose(socket, answerFor(err.code));
  else socket.destroy();
}

/** Writes a bare answer and closes once it is out (a client that never closes its side cannot keep the socket). */
export function answerAndClose(socket: Duplex, answer: string): void {
  socket.end(answer, 'latin1', () => socket.destroy());
}

/**
 * A node:http request body must keep coming while the proxy reads it: after `bodyMs` of silence
 * (not counting time the proxy itself stopped reading, e.g. a slow target) the client gets 408,
 * or the connection is cut if a response already started. Uses the socket's own inactivity timer.
 */
export function limitBodySilence(req: IncomingMessage, res: ServerResponse, bodyMs: number): void {
  const socket = req.socket;
  const onTimeout = (): void => {
    if (req.complete) return;
    // Paused by backpressure: not the client's fault; look again after another period.
    if (req.isPaused()) return void socket.setTimeout(bodyMs);
    if (res.headersSent || !socket.writable) socket.destroy();
    else answerAndClose(socket, REQUEST_TIMEOUT);
  };
  req.on('timeout', onTimeout);
  socket.setTimeout(bodyMs);
  req.once('end', () => {
    req.off('timeout', onTimeout);
    // Once the response is over node:http has set its keep-alive timer; before that, no limit applies.
    if (!res.writableFinished) socket.setTimeout(0);
  });
}
