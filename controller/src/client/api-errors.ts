import { UserError } from '@drover/shared';
import { PinMismatchError } from '@drover/shared/protocol/pin';
import { ApiError, type ApiErrorBody } from '../server/operator-api.js';

/** Refused credentials (401, 403, `forbidden`) exit 77 (EX_NOPERM), like the rest of the CLI. */
const EXIT_NOPERM = 77;

/**
 * An error answer as a person reads it: the message, and for a failed agent operation the lines to show
 * under it (`details`: last log lines, health) and the agent's exit code. Refused credentials exit 77.
 */
export function errorOf(status: number, json: unknown): UserError {
  const e = ApiError.safeParse(json);
  if (!e.success) return new UserError(`controller: HTTP ${status}`, { exitCode: status === 401 || status === 403 ? EXIT_NOPERM : 1 });
  return errorOfBody(e.data.error, status === 401 || status === 403);
}

/** The same for an error that arrived in-band (a followed call's `error` line, an attach `{error}` frame). */
export function errorOfBody(error: ApiErrorBody, refused = error.code === 'forbidden' || error.code === 'unauthorized'): UserError {
  const { message, details, exitCode } = error;
  return new UserError(`controller: ${message}`, { details: details ?? [], exitCode: refused ? EXIT_NOPERM : (exitCode || 1) });
}

/** A connection that failed: a key other than the pinned one says so; anything else is "cannot reach". */
export function unreachable(controller: string, err: unknown): UserError {
  if (err instanceof PinMismatchError) return new UserError(`controller ${controller}: ${err.message}`);
  return new UserError(`cannot reach controller ${controller}: ${(err as Error).message ?? String(err)}`);
}
