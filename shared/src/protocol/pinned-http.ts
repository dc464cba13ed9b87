import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { connectPinned } from './pin.js';

/**
 * HTTP to the controller for the operator CLI and the agent's enrollment: node's own http/https with a
 * keep-alive agent that only talks to a controller holding the pinned TLS key. Not undici: the CLI is a
 * short process, and undici's WebAssembly parser costs ≈ 0.2 s to load and another ≈ 0.25 s at exit while
 * V8 finishes compiling it; in the agent, undici was over half of the bundle, held in memory for one
 * request at enrollment (BENCHMARKS.md).
 */
export interface PinnedRequest {
  method: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer | Readable;
  signal?: AbortSignal;
  /** Until the response's head arrives. */
  headersTimeoutMs: number;
  /** Longest silence while the body streams; 0 for none (a follow lasts as long as the operator wants). */
  bodyIdleMs: number;
}

export class PinnedHttp {
  private readonly agent: HttpAgent;
  private readonly secure: boolean;

  constructor(fingerprint: string | null, controllerUrl: string) {
    this.secure = new URL(controllerUrl).protocol === 'https:';
    this.agent = this.secure ? pinnedAgent(fingerprint) : new HttpAgent({ keepAlive: true });
  }

  /** Resolves with the response once its head has arrived; the caller reads (or destroys) the body. */
  request(url: URL, opts: PinnedRequest): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const send = this.secure ? httpsRequest : httpRequest;
      const req = send(url, { method: opts.method, headers: opts.headers, agent: this.agent, signal: opts.signal });
      const headTimer = setTimeout(() => req.destroy(new Error(`no answer within ${Math.round(opts.headersTimeoutMs / 1000)} s`)), opts.headersTimeoutMs);
      req.once('error', (err) => {
        clearTimeout(headTimer);
        reject(err);
      });
      req.once('response', (res) => {
        clearTimeout(headTimer);
        if (opts.bodyIdleMs > 0) res.setTimeout(opts.bodyIdleMs, () => res.destroy(new Error(`nothing received for ${Math.round(opts.bodyIdleMs / 1000)} s`)));
        resolve(res);
      });
      if (opts.body === undefined || typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) req.end(opts.body);
      else opts.body.once('error', (err) => req.destroy(err)).pipe(req);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The body as text, whole (answers of the JSON API are small and bounded by the controller). */
export async function textOf(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * An https agent whose connections are handed to requests only after the server's key matched the pin,
 * so no request (and no bearer token) is ever written to a server that does not hold it.
 */
function pinnedAgent(fingerprint: string | null): HttpAgent {
  const agent = new HttpsAgent({ keepAlive: true });
  if (!fingerprint) return agent;
  const create = (options: { host?: string | null; port?: number | string | null; servername?: string }, done: (err: Error | null, socket: Socket) => void): undefined => {
    connectPinned({ host: options.host ?? 'localhost', port: Number(options.port) || 443, servername: options.servername || undefined, alpn: ['http/1.1'] }, fingerprint, done);
    return undefined;
  };
  (agent as unknown as { createConnection: typeof create }).createConnection = create;
  return agent;
}
