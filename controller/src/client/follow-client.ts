import { StringDecoder } from 'node:string_decoder';
import type { IncomingMessage } from 'node:http';
import { UserError } from '@drover/shared';
import { KEEPALIVE_HEADER, RpcFollowLine, STREAM_KEEPALIVE_MS, type RpcBody, type TtySize } from '../server/operator-api.js';
import { errorOf, errorOfBody, unreachable } from './api-errors.js';
import type { OperatorCredentials } from './operator-config.js';
import { textOf, type PinnedHttp } from '@drover/shared/protocol/pinned-http';

export interface RpcFollowOptions {
  /** Each piece of output as it arrives. A returned promise is awaited before more is read: nothing piles up. */
  onOutput(chunk: Buffer): void | Promise<void>;
  /** Aborting stops following: the controller cancels the call on the agent; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Bytes for the call's input stream (then eof); none by default. */
  input?: Buffer;
  resize?: TtySize;
  /** A deadline for the whole call; none by default (a follow lasts until the operator leaves). */
  timeoutMs?: number;
}

/** The longest NDJSON line the controller sends is a 256 KiB chunk in base64; anything far beyond is not it. */
const MAX_LINE = 4 * 1024 * 1024;

/**
 * `POST /v1/agents/:name/rpc` with `stream: { follow: true }`: calls a streaming operation (`containers.logs`
 * with `follow: true`, …) and hands its output to `onOutput` as it comes, then resolves to the call's result
 * (or throws a UserError with the agent's message, details and exit code). A controller that sends nothing
 * for three keepalive periods is taken for gone.
 */
export async function rpcFollow(creds: OperatorCredentials, http: PinnedHttp, name: string, method: string, params: unknown, opts: RpcFollowOptions): Promise<unknown> {
  const url = new URL(`/v1/agents/${encodeURIComponent(name)}/rpc`, creds.controller);
  const body: RpcBody = { method, params, timeoutMs: opts.timeoutMs, stream: { follow: true, input: opts.input?.toString('base64') ?? '', resize: opts.resize } };
  let res: IncomingMessage;
  try {
    res = await http.request(url, {
      method: 'POST', signal: opts.signal,
      headers: { authorization: `Bearer ${creds.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body), headersTimeoutMs: 60_000, bodyIdleMs: 0,
    });
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw unreachable(creds.controller, err);
  }
  if ((res.statusCode ?? 0) >= 400) {
    const text = await textOf(res);
    let json: unknown = null;
    try { json = JSON.parse(text); } catch { /* reported by errorOf */ }
    throw errorOf(res.statusCode ?? 0, json);
  }
  const idleMs = idleLimit(Number(res.headers[KEEPALIVE_HEADER]) || STREAM_KEEPALIVE_MS);
  const it = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const decoder = new StringDecoder('utf8');
  let buffered = '';
  try {
    for (;;) {
      const r = await withIdleLimit(it.next(), idleMs, () => res.destroy());
      if (r.done) break;
      buffered += decoder.write(r.value);
      if (buffered.length > MAX_LINE) throw new UserError(`controller ${creds.controller}: unexpected answer to a followed call`);
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!text.trim()) continue;
        const line = parseLine(text);
        if (!line) throw new UserError(`controller ${creds.controller}: unexpected answer to a followed call`);
        if (line.t === 'output') await opts.onOutput(Buffer.from(line.data, 'base64'));
        else if (line.t === 'result') return line.result;
        else if (line.t === 'error') throw errorOfBody(line.error);
      }
    }
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (err instanceof UserError) throw err;
    throw new UserError(`lost the connection to controller ${creds.controller}: ${(err as Error).message}`);
  } finally {
    if (!res.readableEnded) res.destroy();
  }
  if (opts.signal?.aborted) throw opts.signal.reason;
  throw new UserError(`lost the connection to controller ${creds.controller} before ${method} ended`);
}

/** Three keepalive periods without a byte (at least 3 s): the controller or the network is gone. */
export function idleLimit(keepaliveMs: number): number {
  return Math.max(3 * keepaliveMs, 3000);
}

function parseLine(text: string): RpcFollowLine | null {
  try {
    const parsed = RpcFollowLine.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** `p`, unless nothing arrives for `ms` (keepalives included): then the connection is dead. */
async function withIdleLimit<T>(p: Promise<T>, ms: number, onIdle: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      onIdle();
      reject(new Error(`nothing received for ${Math.round(ms / 1000)} s`));
    }, ms);
  });
  try {
    return await Promise.race([p, idle]);
  } finally {
    clearTimeout(timer);
  }
}
