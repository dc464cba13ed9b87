import { UserError } from '@drover/shared';

/** Exit code for a command line that cannot be understood (BSD sysexits EX_USAGE). */
export const EXIT_USAGE = 64;

/** A mistake in the command line: the message, then the command's help, exit 64. */
export function usageError(message: string, help: string): UserError {
  return new UserError(`${message}\n\n${help}`, { exitCode: EXIT_USAGE });
}
