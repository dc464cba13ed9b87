import { BLOB_METHOD, BlobInbox, fitsFrame, formatBytes, frameBytes, payloadTooLarge } from './blob.js';
import { DEFAULT_RPC_TIMEOUT_MS, MAX_FRAME_BYTES, MAX_RPC_PAYLOAD_BYTES } from './limits.js';
import type { Event, Inventory, Request, Response, SessionMessage } from './messages.js';
import { RpcError, RpcErrorCode } from './rpc-error.js';
import { Stream, type StreamWire } from './stream.js';

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
  method: string;
  deadline: number;
  abort: AbortController;
  timer: NodeJS.Timeout;
  stream: Stream | null;
}

type Outcome = { ok: true; result: unknown } | Error;

/**
 * The wire of a stream whose request is not sent yet (its params are still uploading as a blob): frames
 * wait here, so the peer never sees stream frames for a request it does not know. Bounded by the window.
 */
class HeldWire implements StreamWire {
  private queue: object[] | null = [];
  private dropped = false;

  constructor(private readonly wire: StreamWire) {}

  send(msg: object): void {
    if (this.dropped) return;
    if (this.queue) this.queue.push(msg);
    else this.wire.send(msg);
  }

  release(): void {
    const queued = this.queue ?? [];
    this.queue = null;
    for (const msg of queued) this.wire.send(msg);
  }

  drop(): void {
    this.dropped = true;
    this.queue = null;
  }
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
  private inbox: BlobInbox | null = null;
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
      case 'req': return this.onRequest(msg);
      case 'res': return this.onResponse(msg);
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

  /** Sends an inventory or event message; throws RpcError `too_large` (nothing sent) when it does not fit a frame. */
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
    this.inbox?.clear();
  }

  private start(method: string, params: unknown, options: CallOptions, withStream: boolean): { stream: Stream | null; result: Promise<unknown> } {
    if (this.closedWith) return { stream: null, result: Promise.reject(this.closedWith) };
    const id = `${this.opts.idPrefix}${++this.seq}`;
    const timeoutMs = options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const req: Record<string, unknown> = { t: 'req', id, method, deadline };
    if (params !== undefined) req.params = params;
    if (withStream) req.stream = true;
    const frame = JSON.stringify(req);
    const direct = fitsFrame(frame);
    const held = withStream && !direct ? new HeldWire(this.wire) : null;
    const stream = withStream ? new Stream(id, held ?? this.wire) : null;
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
    if (direct) this.opts.send(frame);
    else void this.sendWithParamsBlob(req, held);
    return { stream, result };
  }

  /** A request whose params do not fit a frame: the params go first as a blob, then the request naming it. */
  private async sendWithParamsBlob(req: Record<string, unknown>, held: HeldWire | null): Promise<void> {
    const id = req.id as string;
    const method = req.method as string;
    const json = JSON.stringify(req.params);
    const bytes = Buffer.byteLength(json);
    try {
      if (bytes > MAX_RPC_PAYLOAD_BYTES) throw payloadTooLarge(method, 'params', bytes);
      const blobId = await this.upload(json, req.deadline as number);
      if (!this.outgoing?.has(id)) return; // cancelled or timed out meanwhile; the peer drops the blob unclaimed
      const { params: _sent, ...rest } = req;
      this.sendMsg({ ...rest, paramsBlob: blobId });
      held?.release();
    } catch (err) {
      held?.drop();
      this.finishOutgoing(id, err instanceof RpcError && err.code === RpcErrorCode.TooLarge ? err : sendFailure(method, 'params', bytes, err));
    }
  }

  /** Streams `json` to the peer as an `rpc.blob` call and resolves to the id the peer parked it under. */
  private async upload(json: string, deadline: number): Promise<string> {
    if (this.closedWith) throw this.closedWith;
    const { stream, result } = this.open(BLOB_METHOD, undefined, { timeoutMs: Math.max(1000, deadline - Date.now()) });
    result.catch(() => undefined);
    await stream.write(Buffer.from(json, 'utf8')).then(() => stream.end(), () => undefined); // a failed write: `result` says why
    await result;
    return stream.id;
  }

  private finishOutgoing(id: string, outcome: Outcome): void {
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

  private onResponse(msg: Response): void {
    const { id } = msg;
    if (!msg.ok) {
      const error = msg.error ?? { code: RpcErrorCode.Internal, message: 'peer failed without saying why' };
      return this.finishOutgoing(id, new RpcError(error.code, error.message, error.details));
    }
    if (msg.resultBlob === undefined) return this.finishOutgoing(id, { ok: true, result: msg.result });
    const parsed = this.claimBlob(msg.resultBlob, 'result');
    this.finishOutgoing(id, parsed instanceof Error ? parsed : { ok: true, result: parsed.value });
  }

  /** The JSON value of a blob the peer uploaded, or why there is none. */
  private claimBlob(blobId: string, what: 'params' | 'result'): { value: unknown } | RpcError {
    const blob = this.inbox?.take(blobId);
    if (!blob) return new RpcError(RpcErrorCode.Internal, `the peer's ${what} upload ${blobId} never arrived or expired`);
    try {
      return { value: JSON.parse(blob.toString('utf8')) as unknown };
    } catch {
      return new RpcError(RpcErrorCode.Internal, `the peer's ${what} upload ${blobId} is not JSON`);
    }
  }

  private get blobs(): BlobInbox {
    return (this.inbox ??= new BlobInbox());
  }

  private onRequest(msg: Request): void {
    const { id, method, deadline } = msg;
    const withStream = msg.stream === true;
    const incoming = (this.incoming ??= new Map());
    if (incoming.has(id)) return this.protocolError('duplicate_id', `request id ${id} is already running`);
    const handler: Handler | undefined = method === BLOB_METHOD ? (_p, ctx) => this.blobs.receive(ctx) : this.opts.handler?.(method);
    if (!handler) return this.reply(id, method, deadline, new RpcError(RpcErrorCode.UnknownMethod, `unknown method ${method}`));
    if (incoming.size >= (this.opts.maxInflight ?? 1000)) return this.reply(id, method, deadline, new RpcError(RpcErrorCode.Busy, 'too many requests in flight'));
    let params = msg.params;
    if (msg.paramsBlob !== undefined) {
      const parsed = this.claimBlob(msg.paramsBlob, 'params');
      if (parsed instanceof Error) return this.reply(id, method, deadline, new RpcError(RpcErrorCode.InvalidParams, `${method}: ${parsed.message}`));
      params = parsed.value;
    }
    const abort = new AbortController();
    const remaining = Math.max(0, Math.min(deadline - Date.now(), 2_147_000_000));
    const timer = setTimeout(() => abort.abort(new RpcError(RpcErrorCode.DeadlineExceeded, `${method}: deadline exceeded`)), remaining);
    const stream = withStream ? new Stream(id, this.wire) : null;
    incoming.set(id, { method, deadline, abort, timer, stream });
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

  private completeIncoming(id: string, outcome: Outcome): void {
    const i = this.incoming?.get(id);
    if (!i) return; // closed meanwhile: the peer is gone, nothing to answer
    this.incoming!.delete(id);
    clearTimeout(i.timer);
    i.stream?.close(null);
    // Finished after a cancel: the caller stopped waiting; it is answered anyway (ignored there).
    this.reply(id, i.method, i.deadline, outcome);
  }

  /** Answers a request; a result over one frame goes as a blob first, one over the call limit fails that call only. */
  private reply(id: string, method: string, deadline: number, outcome: Outcome): void {
    if (this.closedWith) return;
    if (outcome instanceof Error) return this.replyError(id, outcome);
    let frame: string;
    try {
      frame = JSON.stringify(outcome.result === undefined ? { t: 'res', id, ok: true } : { t: 'res', id, ok: true, result: outcome.result });
    } catch (err) {
      return this.replyError(id, new RpcError(RpcErrorCode.Internal, `${method}: its result cannot be sent: ${(err as Error).message}`));
    }
    if (fitsFrame(frame)) return this.opts.send(frame);
    void this.replyWithResultBlob(id, method, deadline, JSON.stringify(outcome.result));
  }

  private async replyWithResultBlob(id: string, method: string, deadline: number, json: string): Promise<void> {
    const bytes = Buffer.byteLength(json);
    if (bytes > MAX_RPC_PAYLOAD_BYTES) return this.replyError(id, payloadTooLarge(method, 'result', bytes));
    try {
      const blobId = await this.upload(json, deadline);
      this.sendMsg({ t: 'res', id, ok: true, resultBlob: blobId });
    } catch (err) {
      this.replyError(id, sendFailure(method, 'result', bytes, err));
    }
  }

  private replyError(id: string, err: Error): void {
    if (this.closedWith) return;
    const body: Record<string, unknown> = err instanceof RpcError
      ? { code: err.code, message: err.message.slice(0, 4000) }
      : { code: RpcErrorCode.Internal, message: err.message.slice(0, 4000) };
    if (err instanceof RpcError && err.details !== undefined) body.details = err.details;
    const frame = JSON.stringify({ t: 'res', id, ok: false, error: body });
    if (fitsFrame(frame)) return this.opts.send(frame);
    // Details too big for a frame (long log tails): the message alone still reaches the caller.
    const note = ` (details of ${formatBytes(frameBytes(frame))} left out: over the frame limit)`;
    this.sendMsg({ t: 'res', id, ok: false, error: { code: body.code, message: `${String(body.message).slice(0, 4000 - note.length)}${note}` } });
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

  /** Puts one message on the wire; one over the frame limit is refused here, since the peer would drop the connection. */
  private sendMsg(msg: object): void {
    if (this.closedWith) return;
    const frame = JSON.stringify(msg);
    const bytes = frameBytes(frame);
    if (bytes > MAX_FRAME_BYTES) {
      throw new RpcError(RpcErrorCode.TooLarge, `a ${String((msg as { t?: unknown }).t)} message of ${formatBytes(bytes)} is over the ${formatBytes(MAX_FRAME_BYTES)} frame limit`);
    }
    this.opts.send(frame);
  }
}

/** Why a params or result upload failed, naming the call. */
function sendFailure(method: string, what: 'params' | 'result', bytes: number, err: unknown): RpcError {
  const cause = err instanceof RpcError ? err : null;
  const message = err instanceof Error ? err.message : String(err);
  return new RpcError(cause?.code ?? RpcErrorCode.Internal, `${method}: could not send its ${what} (${formatBytes(bytes)}): ${message}`);
}
