/**
 * Tests' raw HTTP/1.1 client: writes bytes as given and reads the answers off the wire, so tests
 * wait for what they expect (N responses, the connection closing) instead of for a fixed time.
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  /** Lower-case names; repeated ones joined by ', '. */
  headers: Record<string, string>;
  body: string;
  /** The response exactly as received. */
  raw: string;
}

const WAIT_LIMIT_MS = 10_000;

export class RawClient {
  /** Everything received so far (latin1). */
  text = '';
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => { this.text += d.toString('latin1'); this.wake(); });
    socket.on('error', () => undefined);
    socket.on('close', () => { this.closed = true; this.wake(); });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.off('error', reject); resolve(new RawClient(socket)); });
      socket.once('error', reject);
    });
  }

  /** Resolves once the bytes are handed to the kernel. */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** Waits until `done()` holds; fails with what was received if it does not within `limitMs`. */
  async until(what: string, done: () => boolean, limitMs = WAIT_LIMIT_MS): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`waited ${limitMs} ms for ${what}; received: ${JSON.stringify(this.text.slice(0, 600))}${this.closed ? ' (closed)' : ''}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** The complete responses so far; `methods` = the requests' methods in order (HEAD answers have no body). */
  responses(methods: string[] = []): RawResponse[] {
    return parseResponses(this.text, methods, this.closed);
  }

  /** Waits for `count` final responses, or the connection closing; returns those received. */
  async untilResponses(count: number, methods: string[] = [], limitMs?: number): Promise<RawResponse[]> {
    await this.until(`${count} response(s)`, () => this.closed || this.responses(methods).length >= count, limitMs);
    return this.responses(methods);
  }

  untilClosed(limitMs?: number): Promise<void> {
    return this.until('the connection to close', () => this.closed, limitMs);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Final (non-1xx) responses complete in `text`; a body without length counts once the connection closed. */
export function parseResponses(text: string, methods: string[], closed: boolean): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) return out;
    const lines = text.slice(at, end).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)?.[1] ?? NaN);
    if (Number.isNaN(status)) return out;
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    let next = end + 4;
    let body = '';
    if (status < 200) { at = next; continue; }
    const method = methods[out.length] ?? 'GET';
    if (method !== 'HEAD' && status !== 204 && status !== 304) {
      const framed = readBody(text, next, headers, closed);
      if (framed === null) return out;
      ({ body, next } = framed);
    }
    out.push({ status, headers, body, raw: text.slice(at, next) });
    at = next;
  }
}

function readBody(text: string, start: number, headers: Record<string, string>, closed: boolean): { body: string; next: number } | null {
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    let at = start;
    let body = '';
    for (;;) {
      const eol = text.indexOf('\r\n', at);
      if (eol < 0) return null;
      const size = parseInt(text.slice(at, eol), 16);
      if (size === 0) {
        const end = text.indexOf('\r\n\r\n', eol);
        return end < 0 ? null : { body, next: end + 4 };
      }
      if (text.length < eol + 2 + size + 2) return null;
      body += text.slice(eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
  }
  if (headers['content-length'] !== undefined) {
    const next = start + Number(headers['content-length']);
    return text.length < next ? null : { body: text.slice(start, next), next };
  }
  return closed ? { body: text.slice(start), next: text.length } : null;
}
