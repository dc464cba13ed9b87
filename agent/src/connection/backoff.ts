/**
 * Exponential backoff with full jitter: a uniformly random wait in
 * [0, min(cap, base·2^attempt)], so a thousand agents that lost the same
 * controller do not come back in lockstep.
 */
export function backoffDelay(attempt: number, opts: { baseMs: number; capMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
