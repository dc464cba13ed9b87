/**
 * An error meant for a person: the message says what and where
 * (`servers/web/hosts: …`, `agent web-1: …`) and is printed without a stack trace.
 * Anything else that reaches a CLI's top level is a bug and is reported as one.
 */
export class UserError extends Error {
  readonly exitCode: number;
  /** Several problems found at once (config validation reports all of them). */
  readonly details: string[];

  constructor(message: string, options: { exitCode?: number; details?: string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? 1;
    this.details = options.details ?? [];
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

/** Formats an error for a terminal: user errors as they are, anything else as an internal error. */
export function describeError(err: unknown): string {
  if (isUserError(err)) return [err.message, ...err.details.map((d) => `  ${d}`)].join('\n');
  const message = err instanceof Error ? err.message : String(err);
  return `internal error: ${message}` + (process.env.DROVER_DEBUG && err instanceof Error && err.stack ? `\n${err.stack}` : '');
}
