import { DEFAULT_RPC_TIMEOUT_MS } from './limits.js';
import type { Event, Inventory, RpcErrorBody, SessionMessage } from './messages.js';
import { RpcError, RpcErrorCode } from './rpc-error.js';
import { Stream } from './stream.js';

/** What a handler gets besides its params. */
export interface CallContext {
  readonly id: string;
  readonly method: string;
  /** Fires on cancel, deadline, or disconnect. */
  readonly signal: AbortSignal;
  /** Epoch ms after which the caller no longer waits. */
  readonly deadline: number;
  /** Present when the caller asked for a stream (`stream: true`). */
  readonly stream: Stream | null;
}

export type Handler = (params: unknown, ctx: CallContext) => Promise<unknown>;

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface SessionOptions {
  /** Puts one frame on the wire (the session serialises). */
  send(frame: string): void;
  /** Looks up a handler for an incoming request. */
  handler?(method: string): Handler | undefined;
  onInventory?(msg: Inventory): void;
  onEvent?(msg: Event): void;
  /** The peer told us a frame of ours was bad. */
  onPeerError?(code: string, message: string): void;
  /** Prefix for ids this end mints, so both directions never collide. */
  idPrefix: string;
  /** Most incoming requests running at once; more are refused with `busy`. */
  maxInflight?: number;
}

interface Outgoing {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  stream: Stream | null;
}

interface Incoming {
  abort: AbortController;
  timer: NodeJS.Timeout;
  stream: Stream | null;
}

/**
 * RPC, cancellation and streams over an authenticated connection, independent
 * of the transport. Both controller and agent run one per connection; maps are
 * created lazily so an idle connection costs a few hundred bytes.
 */
export class RpcSession {
  private readonly opts: SessionOptions;
  private seq = 0;
  private outgoing: Map<string, Outgoing> | null = null;
  private incoming: Map<string, Incoming> | null = null;
  private closedWith: Error | null = null;
  private readonly wire = { send: (msg: object) => this.sendMsg(msg) };

  constructor(opts: SessionOptions) {
    this.opts = opts;
  }

  /** Calls `method` on the peer and resolves to its result. */
  call(method: string, params?: unknown, options: CallOptions = {}): Promise<unknown> {
    return this.start(method, params, options, false).result;
  }

  /** Calls a streaming method: returns the stream at once and the final result when the handler ends. */
  open(method: string, params?: unknown, options: CallOptions = {}): { stream: Stream; result: Promise<unknown> } {
    const { stream, result } = this.start(method, params, options, true);
    return { stream: stream as Stream, result };
  }

  /** Feeds one decoded message from the peer. */
  handle(msg: SessionMessage): void {
    switch (msg.t) {
      case 'req': return this.onRequest(msg.id, msg.method, msg.params, msg.deadline, msg.stream === true);
      case 'res': return this.onResponse(msg.id, msg.ok ? { ok: true, result: msg.result } : { ok: false, error: msg.error ?? { code: RpcErrorCode.Internal, message: 'peer failed without saying why' } });
      case 'cancel': return this.incoming?.get(msg.id)?.abort.abort(new RpcError(RpcErrorCode.Cancelled, msg.reason ?? 'cancelled by caller'));
      case 'data': {
        const stream = this.streamFor(msg.id);
        const violation = stream?.receiveData(msg.enc, msg.chunk);
        if (violation) this.failStream(msg.id, violation);
        return;
      }
      case 'credit': return this.streamFor(msg.id)?.receiveCredit(msg.bytes);
      case 'eof': return this.streamFor(msg.id)?.receiveEof();
      case 'ctl': return this.streamFor(msg.id)?.receiveControl({ resize: msg.resize, signal: msg.signal });
      case 'inventory': return this.opts.onInventory?.(msg);
      case 'event': return this.opts.onEvent?.(msg);
      case 'error': return this.opts.onPeerError?.(msg.code, msg.message);
    }
  }

  /** Tells the peer a frame could not be handled. */
  protocolError(code: string, message: string): void {
    this.sendMsg({ t: 'error', code, message });
  }

  /** Sends an inventory or event message. */
  notify(msg: Inventory | Event): void {
    this.sendMsg(msg);
  }

  /** Number of calls in flight in each direction (for metrics and tests). */
  get inflight(): { outgoing: number; incoming: number } {
    return { outgoing: this.outgoing?.size ?? 0, incoming: this.incoming?.size ?? 0 };
  }

  /** The connection is gone: fail every pending call and abort every handler. */
  close(reason = 'connection closed'): void {
    if (this.closedWith) return;
    const err = new RpcError(RpcErrorCode.Disconnected, reason);
    this.closedWith = err;
    for (const [id, o] of this.outgoing ?? []) {
      clearTimeout(o.timer);
      o.stream?.close(err);
      o.reject(err);
      this.outgoing?.delete(id);
    }
    for (const [, i] of this.incoming ?? []) {
      clearTimeout(i.timer);
      i.stream?.close(err);
      i.abort.abort(err);
    }
    this.incoming?.clear();
  }

  private start(method: string, params: unknown, options: CallOptions, withStream: boolean): { stream: Stream | null; result: Promise<unknown> } {
    if (this.closedWith) return { stream: null, result: Promise.reject(this.closedWith) };
    const id = `${this.opts.idPrefix}${++this.seq}`;
    const timeoutMs = options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const stream = withStream ? new Stream(id, this.wire) : null;
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.finishOutgoing(id, new RpcError(RpcErrorCode.DeadlineExceeded, `${method}: no answer within ${timeoutMs} ms`));
        this.sendMsg({ t: 'cancel', id, reason: 'deadline exceeded' });
      }, timeoutMs);
      (this.outgoing ??= new Map()).set(id, { resolve, reject, timer, stream });
    });
    options.signal?.addEventListener('abort', () => {
      if (!this.outgoing?.has(id)) return;
      this.finishOutgoing(id, new RpcError(RpcErrorCode.Cancelled, `${method}: cancelled`));
      this.sendMsg({ t: 'cancel', id, reason: 'cancelled by caller' });
    }, { once: true });
    const req: Record<string, unknown> = { t: 'req', id, method, deadline };
    if (params !== undefined) req.params = params;
    if (withStream) req.stream = true;
    this.sendMsg(req);
    return { stream, result };
  }

  private finishOutgoing(id: string, outcome: { ok: true; result: unknown } | Error): void {
    const o = this.outgoing?.get(id);
    if (!o) return;
    this.outgoing!.delete(id);
    clearTimeout(o.timer);
    if (outcome instanceof Error) {
      o.stream?.close(outcome);
      o.reject(outcome);
    } else {
      o.stream?.close(null);
      o.resolve(outcome.result);
    }
  }

  private onResponse(id: string, r: { ok: true; result: unknown } | { ok: false; error: RpcErrorBody }): void {
    this.finishOutgoing(id, r.ok ? r : new RpcError(r.error.code, r.error.message, r.error.details));
  }

  private onRequest(id: string, method: string, params: unknown, deadline: number, withStream: boolean): void {
    const incoming = (this.incoming ??= new Map());
    if (incoming.has(id)) return this.protocolError('duplicate_id', `request id ${id} is already running`);
    const handler = this.opts.handler?.(method);
    if (!handler) return this.reply(id, new RpcError(RpcErrorCode.UnknownMethod, `unknown method ${method}`));
    if (incoming.size >= (this.opts.maxInflight ?? 1000)) return this.reply(id, new RpcError(RpcErrorCode.Busy, 'too many requests in flight'));
    const abort = new AbortController();
    const remaining = Math.max(0, Math.min(deadline - Date.now(), 2_147_000_000));
    const timer = setTimeout(() => abort.abort(new RpcError(RpcErrorCode.DeadlineExceeded, `${method}: deadline exceeded`)), remaining);
    const stream = withStream ? new Stream(id, this.wire) : null;
    incoming.set(id, { abort, timer, stream });
    const ctx: CallContext = { id, method, signal: abort.signal, deadline, stream };
    let running: Promise<unknown>;
    try {
      running = Promise.resolve(handler(params, ctx));
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (result) => this.completeIncoming(id, { ok: true, result }),
      (err: unknown) => this.completeIncoming(id, err instanceof Error ? err : new Error(String(err))),
    );
  }

  private completeIncoming(id: string, outcome: { ok: true; result: unknown } | Error): void {
    const i = this.incoming?.get(id);
    if (!i) return; // closed meanwhile: the peer is gone, nothing to answer
    this.incoming!.delete(id);
    clearTimeout(i.timer);
    i.stream?.close(null);
    if (i.abort.signal.aborted && !(outcome instanceof Error)) {
      // Finished after cancel: the caller stopped waiting; answer anyway (ignored there).
    }
    this.reply(id, outcome);
  }

  private reply(id: string, outcome: { ok: true; result: unknown } | Error): void {
    if (outcome instanceof Error) {
      const body: Record<string, unknown> = outcome instanceof RpcError
        ? { code: outcome.code, message: outcome.message.slice(0, 4000) }
        : { code: RpcErrorCode.Internal, message: outcome.message.slice(0, 4000) };
      if (outcome instanceof RpcError && outcome.details !== undefined) body.details = outcome.details;
      this.sendMsg({ t: 'res', id, ok: false, error: body });
    } else {
      this.sendMsg(outcome.result === undefined ? { t: 'res', id, ok: true } : { t: 'res', id, ok: true, result: outcome.result });
    }
  }

  private streamFor(id: string): Stream | null {
    return this.outgoing?.get(id)?.stream ?? this.incoming?.get(id)?.stream ?? null;
  }

  private failStream(id: string, message: string): void {
    const err = new RpcError(RpcErrorCode.StreamViolation, message);
    if (this.outgoing?.has(id)) {
      this.finishOutgoing(id, err);
      this.sendMsg({ t: 'cancel', id, reason: message });
    } else {
      this.incoming?.get(id)?.abort.abort(err);
      this.protocolError(RpcErrorCode.StreamViolation, message);
    }
  }

  private sendMsg(msg: object): void {
    if (this.closedWith) return;
    this.opts.send(JSON.stringify(msg));
  }
}
