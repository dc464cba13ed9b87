import type { FastifyReply } from 'fastify';
import type { ZodError } from 'zod';

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
