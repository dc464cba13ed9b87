import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Chunk, Stream } from '@drover/shared/protocol';
import { rpcErrorAnswer } from './http-errors.js';
import { KEEPALIVE_HEADER, type RpcFollowLine } from './operator-api.js';

export interface FollowOptions {
  keepaliveMs: number;
  /** Output waiting and the client accepting nothing for this long: it is gone (or stuck); drop it. */
  stallMs: number;
  /** Aborted when the client disconnects; aborting it also cancels the call. */
  gone: AbortController;
  /** The call's params (their secret values are redacted from an error). */
  params: unknown;
}

const KEEPALIVE = Symbol('keepalive');

/** `p`, or KEEPALIVE when it takes longer than `ms` (p stays pending and may be awaited again). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof KEEPALIVE> {
  let timer: NodeJS.Timeout | undefined;
  const tick = new Promise<typeof KEEPALIVE>((resolve) => { timer = setTimeout(() => resolve(KEEPALIVE), ms); });
  try {
    return await Promise.race([p, tick]);
  } finally {
    clearTimeout(timer);
  }
}

const line = (l: RpcFollowLine): string => `${JSON.stringify(l)}\n`;

/** Writes, waiting for the client to accept it when its buffer is full (never reading ahead of it). */
async function write(res: ServerResponse, text: string, opts: FollowOptions): Promise<void> {
  if (res.destroyed || opts.gone.signal.aborted) throw new Error('client gone');
  if (res.write(text)) return;
  await once(res, 'drain', { signal: AbortSignal.any([opts.gone.signal, AbortSignal.timeout(opts.stallMs)]) });
}

/**
 * Answers a streaming call as NDJSON while it runs: `output` lines as the agent writes (the next chunk
 * is taken from the agent's stream only once the client accepted the last one, so the stream's credit
 * flow control reaches the agent and memory stays bounded), `keepalive` lines when there is no output,
 * then `result` or `error`. The status line waits for the first line: a call that fails before any
 * output answers the ordinary HTTP error. A client that disconnects or stops accepting output for
 * `stallMs` cancels the call.
 */
export async function sendFollowed(reply: FastifyReply, stream: Stream, result: Promise<unknown>, opts: FollowOptions): Promise<FastifyReply | undefined> {
  const res = reply.raw;
  const it = stream[Symbol.asyncIterator]();
  const pull = (): Promise<IteratorResult<Chunk>> => it.next().catch(() => ({ done: true, value: undefined }));
  let committed = false;
  const commit = () => {
    if (committed) return;
    committed = true;
    reply.hijack();
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store', [KEEPALIVE_HEADER]: String(opts.keepaliveMs) });
  };
  try {
    let next = pull();
    for (;;) {
      const got = await within(next, opts.keepaliveMs);
      if (got === KEEPALIVE) {
        commit();
        await write(res, line({ t: 'keepalive' }), opts);
        continue;
      }
      if (got.done) break;
      commit();
      const bytes = typeof got.value === 'string' ? Buffer.from(got.value, 'utf8') : got.value;
      await write(res, line({ t: 'output', data: bytes.toString('base64') }), opts);
      next = pull();
    }
    const outcome = await result.then((r) => ({ ok: true as const, result: r ?? null }), (err: unknown) => ({ ok: false as const, err }));
    if (!committed && opts.gone.signal.aborted) {
      reply.hijack(); // nobody to answer
      return undefined;
    }
    if (!committed && !outcome.ok) {
      const { status, error } = rpcErrorAnswer(outcome.err, opts.params);
      return reply.code(status).send({ error });
    }
    commit();
    const last: RpcFollowLine = outcome.ok ? { t: 'result', result: outcome.result } : { t: 'error', error: rpcErrorAnswer(outcome.err, opts.params).error };
    if (!res.destroyed) res.end(line(last));
  } catch {
    // The client is gone or stalled: cancel the call, drop the connection.
    opts.gone.abort();
    if (!committed) commit();
    res.destroy();
  }
  return undefined;
}
