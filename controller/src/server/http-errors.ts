import type { FastifyReply } from 'fastify';
import type { ZodError } from 'zod';
import { OPERATION_FAILED, operationFailure } from '@drover/shared/operations/failure';
import { secretRedactor, secretValuesOf } from '@drover/shared/operations/redact';
import { RpcError, RpcErrorCode } from '@drover/shared/protocol';
import type { ApiErrorBody } from './operator-api.js';

/**
 * Every operator/agent HTTP error has this body: `{ error: { code, message } }`; a failed agent operation
 * adds the lines a person reads under the message and the exit code (`{ details, exitCode }`).
 */
export function sendError(reply: FastifyReply, status: number, code: string, message: string, extra: { details?: string[]; exitCode?: number } = {}): FastifyReply {
  return reply.code(status).send({ error: { code, message, ...extra } });
}

export function zodMessage(where: string, err: ZodError): string {
  const i = err.issues[0];
  return `${where}: ${i?.path.join('.') || '(body)'}: ${i?.message ?? 'invalid'}`;
}

/**
 * An agent call's error as the operator sees it (HTTP status and body). A failed operation keeps its
 * details (last log lines, health) and exit code. Secret values from the call's own params are redacted
 * again here, whatever the agent sent. Other errors are 502 (503 `disconnected`), code and message only.
 */
export function rpcErrorAnswer(err: unknown, params: unknown): { status: number; error: ApiErrorBody } {
  const e = err instanceof RpcError ? err : new RpcError(RpcErrorCode.Internal, 'internal error; see controller log');
  const redact = secretRedactor(secretValuesOf(params));
  const status = e.code === RpcErrorCode.Disconnected ? 503 : 502;
  const failure = e.code === OPERATION_FAILED ? operationFailure.safeParse(e.details) : null;
  const extra = failure?.success ? { details: failure.data.details.map(redact), exitCode: failure.data.exitCode } : {};
  return { status, error: { code: e.code, message: redact(e.message), ...extra } };
}

export function sendRpcError(reply: FastifyReply, err: RpcError, params: unknown): FastifyReply {
  const { status, error } = rpcErrorAnswer(err, params);
  return reply.code(status).send({ error });
}
