import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '@drover/shared';
import { OPERATION_FAILED, type OperationFailure } from '@drover/shared/operations/failure';
import { RpcError, RpcErrorCode, type Stream } from '@drover/shared/protocol';
import type { Chunk, Operation, OperationContext } from '../ops/index.js';
import { defineHandler, type AgentCallContext, type AnyHandlerSpec } from './registry.js';

export { OPERATION_FAILED };

/** Same rule as the idempotency store, checked here so a bad id is `invalid_params`, not a failed operation. */
const OPERATION_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** What a caller sees in `error.details` of an `operation_failed` answer (zod: `operationFailure`). */
export type OperationFailureDetails = OperationFailure;

/**
 * Operation params travel as the RPC params plus an optional `operationId`: the caller's idempotency key.
 * It is not the RPC request id, which is per connection (`c17`) and so cannot survive a reconnect; a
 * retry must send the same `operationId` again. Without one, a mutating operation gets a fresh id and
 * is never deduplicated.
 */
function envelope(op: Operation) {
  return z.record(z.unknown()).optional().transform((raw, zctx) => {
    const { operationId, ...rest } = raw ?? {};
    if (operationId !== undefined && (typeof operationId !== 'string' || !OPERATION_ID.test(operationId))) {
      zctx.addIssue({ code: z.ZodIssueCode.custom, path: ['operationId'], message: 'must be letters, digits, ".", "_", ":", "-" (at most 128, starting with a letter or digit)' });
      return z.NEVER;
    }
    const parsed = op.params.safeParse(rest);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) zctx.addIssue({ code: z.ZodIssueCode.custom, path: issue.path, message: issue.message });
      return z.NEVER;
    }
    return { operationId: operationId as string | undefined, params: parsed.data as unknown };
  });
}

/**
 * Progress is best effort: once the caller's stream is gone (cancel, disconnect) writes are dropped, so
 * a mutating operation that outlives its connection still finishes and records its result for the retry.
 * Awaiting the returned promise applies the stream's credit-based flow control.
 */
function emitter(stream: Stream | null): (chunk: Chunk) => Promise<void> {
  if (!stream) return async () => undefined;
  return (chunk) => stream.write(chunk).catch(() => undefined);
}

/**
 * The signal an operation sees. Cancel and deadline stop every operation; a disconnect stops read-only
 * ones (logs, exec: nobody is left to read them) but not mutating ones, which run to the end so that the
 * retry after the reconnect gets the recorded outcome instead of a half-done change.
 */
function operationSignal(ctx: AgentCallContext, mutates: boolean): AbortSignal {
  if (!mutates) return ctx.signal;
  const ac = new AbortController();
  const forward = () => {
    const reason: unknown = ctx.signal.reason;
    if (reason instanceof RpcError && reason.code === RpcErrorCode.Disconnected) return;
    ac.abort(reason);
  };
  if (ctx.signal.aborted) forward();
  else ctx.signal.addEventListener('abort', forward, { once: true });
  return ac.signal;
}

type TtySize = { cols: number; rows: number };

/**
 * TTY resizes for an operation. The caller sends its terminal's size right after opening the call, long
 * before the exec exists (the operation subscribes only once Docker created it): the latest size is kept
 * from the start and handed to a listener when it subscribes, then every later resize.
 */
function resizes(stream: Stream): (listener: (size: TtySize) => void) => void {
  let last: TtySize | null = null;
  const listeners: ((size: TtySize) => void)[] = [];
  stream.onControl((c) => {
    if (!c.resize) return;
    last = c.resize;
    for (const l of listeners) l(c.resize);
  });
  return (listener) => {
    listeners.push(listener);
    if (last) listener(last);
  };
}

/** An operation's error as the caller should see it on the wire. */
export function toRpcError(method: string, err: unknown, signal: AbortSignal): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof UserError) {
    const details: OperationFailureDetails = { details: err.details, exitCode: err.exitCode };
    return new RpcError(OPERATION_FAILED, err.message, details);
  }
  if (signal.aborted && signal.reason instanceof RpcError) return signal.reason;
  const message = err instanceof Error ? err.message : String(err);
  return new RpcError(RpcErrorCode.Internal, `${method} failed: ${message}`);
}

export interface OperationHandlerOptions {
  /**
   * Called when a mutating operation starts; what it returns is called when it ends (whatever its outcome),
   * so a fresh inventory can be pushed after it, and not during it.
   */
  onMutation?(): () => void;
}

/** One RPC handler per operation: same method name, same stream mode, idempotency via `operationId`. */
export function operationHandlers(ops: Record<string, Operation>, opts: OperationHandlerOptions = {}): Record<string, AnyHandlerSpec> {
  const handlers: Record<string, AnyHandlerSpec> = {};
  for (const [method, op] of Object.entries(ops)) {
    handlers[method] = defineHandler({
      params: envelope(op),
      stream: op.stream,
      run: async ({ operationId, params }, ctx) => {
        const stream = ctx.stream;
        const signal = operationSignal(ctx, op.mutates);
        const opCtx: OperationContext = {
          signal,
          operationId: operationId ?? `rpc-${randomUUID()}`,
          emit: emitter(stream),
          ...(stream ? { stdin: stream, onResize: resizes(stream) } : {}),
        };
        const mutationEnded = op.mutates ? opts.onMutation?.() : undefined;
        try {
          return await op.run(params, opCtx);
        } catch (err) {
          const wire = toRpcError(method, err, ctx.signal);
          if (wire.code === RpcErrorCode.Internal) ctx.log.error('operation failed unexpectedly', { method, reason: wire.message });
          throw wire;
        } finally {
          mutationEnded?.();
        }
      },
    });
  }
  return handlers;
}
