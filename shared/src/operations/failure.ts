import { z } from 'zod';

/** Wire code of an operation that failed the way a person should read (a `UserError` on the agent). */
export const OPERATION_FAILED = 'operation_failed';

/**
 * Wire code of a retry of an operation the agent found started but never finished (it stopped mid-way),
 * for operations that are not re-run blind (ARCHITECTURE.md, "Agent operations").
 */
export const OPERATION_INTERRUPTED = 'operation_interrupted';

/**
 * `error.details` of an `operation_failed` answer: the lines a person reads under the message (the failed
 * container's last log lines, its health, what was stopped) and the exit code the CLI should end with.
 */
export const operationFailure = z.object({
  details: z.array(z.string()),
  exitCode: z.number().int().min(0).max(255),
});
export type OperationFailure = z.infer<typeof operationFailure>;
