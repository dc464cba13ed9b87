import { UserError } from '@drover/shared';

/** The daemon's own message from a dockerode error (what `docker` would print after "Error response from daemon:"). */
export function daemonMessage(err: unknown): string {
  const e = err as { json?: { message?: string } | null; reason?: string; message?: string } | null;
  if (e?.json && typeof e.json === 'object' && typeof e.json.message === 'string') return e.json.message.trim();
  if (typeof e?.message === 'string') return e.message.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
  return String(err);
}

export function statusCode(err: unknown): number | null {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : null;
}

export const isNotFound = (err: unknown) => statusCode(err) === 404;
export const isConflict = (err: unknown) => statusCode(err) === 409;
export const isNotModified = (err: unknown) => statusCode(err) === 304;

/** A UserError saying what failed where, with the daemon's words. */
export function dockerFailure(what: string, host: string, err: unknown): UserError {
  if (err instanceof UserError) return err;
  return new UserError(`${what} failed on ${host}: ${daemonMessage(err)}`, { cause: err });
}
