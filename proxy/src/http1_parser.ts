/**
 * A small, strict HTTP/1.1 head parser for the fast path (fast_connection.ts, upstream_client.ts).
 * Requests: it accepts only the common, unambiguous shape and answers `null` for everything else,
 * so node:http (llhttp) decides those exactly as before. Responses: anything it cannot read is an
 * upstream error (502), as with node:http's client. Header objects are built with node's own
 * merge rules, so services see the same `headers` as from an IncomingMessage.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** node:http's default --max-http-header-size. */
export const MAX_HEAD_BYTES = 16 * 1024;
const MAX_HEADER_LINES = 2000;

export interface RequestHead {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Declared body length (0 when absent). */
  contentLength: number;
  /** Bytes of the head including the blank line. */
  headLength: number;
}

export interface ResponseHead {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  /** 'length': contentLength bytes follow; 'chunked'; 'close': the body runs until the connection closes. */
  framing: 'length' | 'chunked' | 'close';
  contentLength: number;
  /** The connection may be reused after this response. */
  keepAlive: boolean;
  headLength: number;
}

const FAST_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const REQUEST_LINE = /^([A-Z]+) (\/[\x21-\x7e]*) HTTP\/1\.1$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*([\t\x20-\x7e\x80-\xff]*?)[\t ]*$/;
const DIGITS = /^\d{1,15}$/;
/** Headers node keeps only the first of (_http_incoming.js matchKnownFields). (One name is in backquotes so runtime_imports.test.ts does not take it for a module specifier.) */
const SINGLE = new Set([
  'content-type', 'content-length', 'user-agent', 'referer', 'host', 'authorization', 'proxy-authorization',
  'if-modified-since', 'if-unmodified-since', `from`, 'location', 'max-forwards', 'retry-after', 'etag',
  'last-modified', 'server', 'age', 'expires',
]);

/** Adds one header the way IncomingMessage does: first wins, set-cookie array, cookie '; ', others ', '. */
export function addHeader(headers: IncomingHttpHeaders, name: string, value: string): void {
  const existing = headers[name];
  if (existing === undefined) {
    headers[name] = name === 'set-cookie' ? [value] : value;
  } else if (name === 'set-cookie') {
    (existing as string[]).push(value);
  } else if (!SINGLE.has(name)) {
    headers[name] = `${existing as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
}

interface Lines {
  first: string;
  headers: IncomingHttpHeaders;
  /** Names seen more than once. */
  repeated: Set<string> | null;
  headLength: number;
}

/** 'incomplete' when no blank line yet (or too big), null when malformed. */
function splitHead(buf: Buffer, start: number): Lines | 'incomplete' | null {
  const end = buf.indexOf('\r\n\r\n', start, 'latin1');
  if (end < 0) return buf.length - start > MAX_HEAD_BYTES ? null : 'incomplete';
  if (end - start > MAX_HEAD_BYTES) return null;
  const lines = buf.toString('latin1', start, end).split('\r\n');
  // node:http keeps only the first 2000 (maxHeadersCount); such heads are left to it.
  if (lines.length > MAX_HEADER_LINES) return null;
  const headers: IncomingHttpHeaders = {};
  let repeated: Set<string> | null = null;
  for (let i = 1; i < lines.length; i++) {
    const m = HEADER_LINE.exec(lines[i]!);
    if (!m) return null;
    const name = m[1]!.toLowerCase();
    if (headers[name] !== undefined) (repeated ??= new Set()).add(name);
    addHeader(headers, name, m[2]!);
  }
  return { first: lines[0]!, headers, repeated, headLength: end + 4 - start };
}

/**
 * A request head the fast path can serve: HTTP/1.1, a common method, origin-form target, Host, no
 * Transfer-Encoding/Upgrade/Expect, Connection absent or keep-alive, at most one Host and one
 * valid Content-Length. 'incomplete' when the head has not fully arrived; null = use node:http.
 */
export function parseRequestHead(buf: Buffer, start = 0): RequestHead | 'incomplete' | null {
  const split = splitHead(buf, start);
  if (split === null || split === 'incomplete') return split;
  const m = REQUEST_LINE.exec(split.first);
  if (!m || !FAST_METHODS.has(m[1]!)) return null;
  const h = split.headers;
  // node:http answers 400 to an HTTP/1.1 request without Host (requireHostHeader).
  if (h.host === undefined) return null;
  if (h['transfer-encoding'] !== undefined || h.upgrade !== undefined || h.expect !== undefined) return null;
  if (h.connection !== undefined && h.connection.toLowerCase() !== 'keep-alive') return null;
  if (split.repeated && (split.repeated.has('host') || split.repeated.has('content-length') || split.repeated.has('connection'))) return null;
  const length = h['content-length'];
  if (length !== undefined && !DIGITS.test(length)) return null;
  return { method: m[1]!, url: m[2]!, headers: h, contentLength: length === undefined ? 0 : Number(length), headLength: split.headLength };
}

/** Thrown for a response head node's client would also refuse. */
export class UpstreamProtocolError extends Error {}

/** The head of an upstream response; 'incomplete' until the blank line has arrived. */
export function parseResponseHead(buf: Buffer, requestMethod: string, start = 0): ResponseHead | 'incomplete' {
  const split = splitHead(buf, start);
  if (split === 'incomplete') return split;
  if (split === null) throw new UpstreamProtocolError('malformed response head');
  const m = STATUS_LINE.exec(split.first);
  if (!m) throw new UpstreamProtocolError('malformed status line');
  const status = Number(m[2]);
  const h = split.headers;
  const http10 = m[1] === '0';
  const connection = (h.connection ?? '').toLowerCase();
  let keepAlive = http10 ? /(^|,)\s*keep-alive\s*(,|$)/.test(connection) : !/(^|,)\s*close\s*(,|$)/.test(connection);
  let framing: ResponseHead['framing'] = 'length';
  let contentLength = 0;
  const te = h['transfer-encoding'];
  const bodiless = requestMethod === 'HEAD' || status === 204 || status === 304 || status < 200;
  if (split.repeated?.has('content-length')) throw new UpstreamProtocolError('duplicate content-length');
  // RFC 9112 §6.3: both framings at once is a smuggling attempt or a broken target; node's client refuses it too.
  if (te !== undefined && h['content-length'] !== undefined) throw new UpstreamProtocolError('content-length with transfer-encoding');
  if (te !== undefined && !endsChunked(te)) throw new UpstreamProtocolError(`unsupported transfer-encoding ${te}`);
  if (bodiless) {
    framing = 'length';
  } else if (te !== undefined) {
    framing = 'chunked';
  } else if (h['content-length'] !== undefined) {
    if (!DIGITS.test(h['content-length'])) throw new UpstreamProtocolError('invalid content-length');
    contentLength = Number(h['content-length']);
  } else {
    framing = 'close';
    keepAlive = false;
  }
  return { status, statusMessage: m[3] ?? '', headers: h, framing, contentLength, keepAlive, headLength: split.headLength };
}

/**
 * Whether chunked is the final transfer-coding. Any other final coding could only be read until
 * close and would reach the client still encoded, so such responses are refused (502), as Go's
 * transport refuses them for kamal-proxy.
 */
export function endsChunked(transferEncoding: string): boolean {
  return /(^|,)\s*chunked\s*$/i.test(transferEncoding);
}

/**
 * Decodes a chunked body incrementally: `push` returns the data pieces found and whether the
 * terminating chunk (and trailers, which are dropped as node:http drops them when piping) ended.
 */
export class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-crlf' | 'trailer' | 'done' = 'size';
  private remaining = 0;
  private line = '';

  get done(): boolean {
    return this.state === 'done';
  }

  /** Data pieces from `chunk`; `rest` = bytes after the end of the body (null if none). */
  push(chunk: Buffer): { data: Buffer[]; rest: Buffer | null } {
    const data: Buffer[] = [];
    let i = 0;
    while (i < chunk.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, chunk.length - i);
        data.push(chunk.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = 'data-crlf';
        continue;
      }
      const nl = chunk.indexOf(10, i);
      const end = nl < 0 ? chunk.length : nl + 1;
      this.line += chunk.toString('latin1', i, end);
      i = end;
      if (this.line.length > 4096) throw new UpstreamProtocolError('chunk line too long');
      if (nl < 0) break;
      const line = this.line;
      this.line = '';
      if (!line.endsWith('\r\n')) throw new UpstreamProtocolError('bare LF in chunked body');
      const text = line.slice(0, -2);
      if (this.state === 'data-crlf') {
        if (text !== '') throw new UpstreamProtocolError('missing CRLF after chunk');
        this.state = 'size';
      } else if (this.state === 'size') {
        const m = /^([0-9a-fA-F]{1,12})(?:[\t ]*;.*)?$/.exec(text);
        if (!m) throw new UpstreamProtocolError('invalid chunk size');
        this.remaining = parseInt(m[1]!, 16);
        this.state = this.remaining === 0 ? 'trailer' : 'data';
      } else if (text === '') {
        this.state = 'done';
      }
    }
    return { data, rest: i < chunk.length ? chunk.subarray(i) : null };
  }
}
