import { UserError } from '@drover/shared';

export interface HookOutcome {
  ok: boolean;
  /** The failure as the operator's machine reported it (Kamal's "Hook `x` failed:…"). */
  message: string | null;
}

/**
 * Hooks run on the operator's machine. When a rollout reaches one, it waits here until the attached
 * operator posts the result. A deployment nobody is following cannot run hooks: it fails after
 * `unattendedMs` without a follower instead of hanging.
 */
export class HookGate {
  private readonly pending = new Map<string, (outcome: HookOutcome) => void>();
  private readonly followers = new Map<string, number>();

  constructor(private readonly limits: { timeoutMs: number; unattendedMs: number }) {}

  /** Counts an operator following the deployment's events (while the returned function is not called). */
  attach(deploymentId: string): () => void {
    this.followers.set(deploymentId, (this.followers.get(deploymentId) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.followers.get(deploymentId) ?? 1) - 1;
      if (n > 0) this.followers.set(deploymentId, n);
      else this.followers.delete(deploymentId);
    };
  }

  isPending(deploymentId: string, step: string): boolean {
    return this.pending.has(`${deploymentId}/${step}`);
  }

  /** The operator's answer; false when no such hook is waiting. */
  report(deploymentId: string, step: string, outcome: HookOutcome): boolean {
    const resolve = this.pending.get(`${deploymentId}/${step}`);
    if (!resolve) return false;
    resolve(outcome);
    return true;
  }

  async wait(deploymentId: string, step: string, hook: string, signal: AbortSignal): Promise<HookOutcome> {
    const key = `${deploymentId}/${step}`;
    return new Promise<HookOutcome>((resolve, reject) => {
      let unattendedSince = this.followers.get(deploymentId) ? null : Date.now();
      const finish = (fn: () => void) => {
        clearTimeout(timeout);
        clearInterval(watch);
        signal.removeEventListener('abort', onAbort);
        this.pending.delete(key);
        fn();
      };
      const fail = (message: string) => finish(() => reject(new UserError(message)));
      const timeout = setTimeout(() => fail(`Hook \`${hook}\` did not report back within ${Math.round(this.limits.timeoutMs / 1000)}s`), this.limits.timeoutMs);
      const watch = setInterval(() => {
        if (this.followers.get(deploymentId)) { unattendedSince = null; return; }
        unattendedSince ??= Date.now();
        if (Date.now() - unattendedSince >= this.limits.unattendedMs) {
          fail(`Hook \`${hook}\` could not run: no operator is attached to this deployment (hooks run on the operator's machine; follow it with \`drover deployments watch ${deploymentId}\`, or deploy with -H)`);
        }
      }, Math.min(1000, this.limits.unattendedMs));
      const onAbort = () => fail(`Hook \`${hook}\` was cancelled`);
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(key, (outcome) => finish(() => resolve(outcome)));
    });
  }
}
