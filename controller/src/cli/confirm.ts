import { UserError } from '@drover/shared';
import type { Invocation } from './framework/spec.js';

/**
 * Kamal's `yes?` before a destructive command: `-y` skips it; at a terminal the operator answers;
 * without one (CI) there is no one to ask, so the command is refused.
 */
export async function confirm(inv: Invocation, warning: string): Promise<void> {
  if (inv.options.confirmed === true) return;
  const { stdin } = inv.io;
  if (!stdin.isTTY) throw new UserError(`${warning} Run again with -y (--confirmed) to go ahead.`);
  inv.io.err(`${warning} Are you sure? [y, N]`);
  // Loaded only to ask: every other command run (deploy among them) starts without readline.
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: stdin });
  try {
    const answer = await rl.question('');
    if (!/^y(es)?$/i.test(answer.trim())) throw new UserError('Cancelled: nothing was changed.');
  } finally {
    rl.close();
  }
}
