import { UserError } from '@drover/shared';
import { secretRedactor, secretValuesOf } from '@drover/shared/operations/redact';

/**
 * Runs `fn` so that no secret value from `params` can leave in its error: a failed boot reports the
 * container's last log lines and health, and an application may well print its own environment.
 * The redacted error is also what the idempotency store records on disk.
 */
export async function withSecretsRedacted<R>(params: unknown, fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (err) {
    // Looked for only when there is an error to clean: most operations succeed.
    const secrets = secretValuesOf(params);
    throw secrets.length === 0 ? err : redactError(err, secretRedactor(secrets));
  }
}

export function redactError(err: unknown, redact: (text: string) => string): unknown {
  if (err instanceof UserError) {
    // A fresh error without `cause`: the cause's message may quote what the UserError's message hides.
    return new UserError(redact(err.message), { details: err.details.map(redact), exitCode: err.exitCode });
  }
  if (err instanceof Error) {
    err.message = redact(err.message);
    return err;
  }
  return new Error(redact(String(err)));
}
