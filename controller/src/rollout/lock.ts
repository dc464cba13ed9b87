import { UserError } from '@drover/shared';
import { lockedHost, type DeploymentStore, type LockRecord } from '../store/deployment-store.js';
import { ROLLOUT_DEFAULTS } from './defaults.js';

/** Kamal's lock details text (`kamal lock status`), and the host of a convergence's host lock. */
export function lockStatusText(lock: LockRecord): string {
  const host = lockedHost(lock.key);
  return `Locked by: ${lock.holder} at ${new Date(lock.acquiredAt).toISOString().replace(/\.\d{3}Z$/, 'Z')}\nVersion: ${lock.version ?? ''}\nMessage: ${lock.message}${host === null ? '' : `\nHost: ${host}`}`;
}

export interface LockWait {
  timeoutSeconds: number;
  intervalSeconds: number;
}

/**
 * Takes the deploy lock like Kamal's `acquire_lock`: fails at once when held, or with `--lock-wait` polls
 * for an automatic lock (a manual one is never waited for). `say` prints Kamal's console lines.
 */
export async function acquireDeployLock(args: {
  store: DeploymentStore; lock: LockRecord; wait: LockWait | null; say(text: string): void;
  sleep(ms: number): Promise<void>; clock(): number;
}): Promise<void> {
  const { store, lock, wait, say } = args;
  const host = lockedHost(lock.key);
  const which = host === null ? 'the deploy lock' : `the deploy lock of ${host}`;
  say(wait ? `Acquiring ${which} (waiting up to ${wait.timeoutSeconds}s)...` : `Acquiring ${which}...`);
  const deadline = args.clock() + (wait?.timeoutSeconds ?? 0) * 1000;
  let reported = false;
  for (;;) {
    const r = store.acquireLock({ ...lock, acquiredAt: args.clock() });
    if (r.acquired) return;
    if (!wait) {
      say('Deploy lock already in place!');
      say(lockStatusText(r.held));
      throw new UserError("Deploy lock found. Run 'drover lock help' for more information");
    }
    if (!reported) {
      say('Deploy lock is held by:');
      say(lockStatusText(r.held));
      reported = true;
    }
    if (r.held.message !== ROLLOUT_DEFAULTS.automaticLockMessage) {
      throw new UserError("Deploy lock held manually, not waiting. Run 'drover lock help' for more information");
    }
    const remaining = Math.round((deadline - args.clock()) / 1000);
    if (remaining <= 0) throw new UserError('Timed out waiting for deploy lock');
    const pause = Math.min(wait.intervalSeconds, remaining);
    say(`Retrying in ${pause}s (${remaining}s remaining)...`);
    await args.sleep(pause * 1000);
  }
}
