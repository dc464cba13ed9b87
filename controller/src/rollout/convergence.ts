// Convergence (issue 12): a host a deployment skipped because its agent was offline is brought to that
// deployment's version once the agent is connected again: a `deploy -P -h HOST` the controller submits
// itself, from the skipping deployment's config files and the secrets kept for that version. It takes the
// service's deploy lock like any deployment, so it never runs beside one (a held lock means "later").
import { describeError } from '@drover/shared';
import { NEW_VERSION_COMMANDS } from '../plan/auto-rollback.js';
import type { Plan } from '../plan/types.js';
import type { ConvergenceStore, PendingConvergence } from '../store/convergence-store.js';
import { serviceKey, type DeploymentRecord, type DeploymentStore } from '../store/deployment-store.js';
import type { SecretBox } from '../store/secret-box.js';
import type { DeploymentRequest } from '../server/deployments-api.js';
import { ROLLOUT_DEFAULTS } from './defaults.js';
import type { RolloutOutcome } from './runner.js';

/** The performer and lock holder of convergence deployments (the hosts' audit logs show it). */
export const CONVERGENCE_PERFORMER = 'drover converge';

export interface ConvergenceDeps {
  pending: ConvergenceStore;
  store: Pick<DeploymentStore, 'getDeployment' | 'getLock' | 'getServiceSecrets' | 'listDeployments'>;
  secretBox: Pick<SecretBox, 'unseal'>;
  submit(req: DeploymentRequest): DeploymentRecord;
  isOnline(host: string): boolean;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

interface SkippingSnapshot {
  files?: { name: string; content: string }[];
  errorPages?: Record<string, string> | null;
}

export class Convergence {
  /** Convergence deployments in flight, by `key host`. */
  private readonly inFlight = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: ConvergenceDeps) {}

  start(intervalMs: number = ROLLOUT_DEFAULTS.convergenceIntervalMs): void {
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Every finished deployment: what its hosts now run, and what its skipped hosts wait for. */
  deploymentFinished(record: DeploymentRecord, plan: Plan, outcome: RolloutOutcome): void {
    const converging = record.performer === CONVERGENCE_PERFORMER;
    // A convergence is a `deploy` itself.
    if (outcome.status === 'succeeded' && (NEW_VERSION_COMMANDS.has(plan.command) || plan.command === 'rollback')) {
      this.deps.pending.recordDeployed({ key: plan.lockKey, version: plan.version, deploymentId: record.id, deployed: plan.hosts, skipped: plan.skippedHosts, at: Date.now() });
    } else if (converging) {
      for (const host of plan.hosts) this.deps.pending.noteConvergenceAttempt(plan.lockKey, host, outcome.error ?? outcome.status);
    }
  }

  /** Submits a convergence for each waiting host that is connected, not already converging, under a free lock. */
  tick(): void {
    if (this.deps.pending.convergencePaused()) return;
    for (const p of this.deps.pending.pendingConvergence()) {
      const id = `${p.key} ${p.host}`;
      const running = this.inFlight.get(id);
      if (running && this.deps.store.getDeployment(running)?.status === 'running') continue;
      this.inFlight.delete(id);
      if (p.attempts >= ROLLOUT_DEFAULTS.convergenceAttempts || !this.deps.isOnline(p.host) || this.busy(p.key)) continue;
      this.deps.pending.noteConvergenceAttempt(p.key, p.host, null);
      try {
        const deployment = this.deps.submit(this.request(p));
        this.inFlight.set(id, deployment.id);
        this.deps.log.info({ host: p.host, service: p.key, version: p.version, deployment: deployment.id }, 'converging a host the deployment skipped');
      } catch (err) {
        this.deps.pending.noteConvergenceAttempt(p.key, p.host, describeError(err));
        this.deps.log.warn({ host: p.host, service: p.key, err: describeError(err) }, 'cannot converge host');
      }
    }
  }

  /** A deployment of the service runs (it may not hold the lock yet: pulls and waits come first) or the lock is held. */
  private busy(key: string): boolean {
    if (this.deps.store.getLock(key)) return true;
    return this.deps.store.listDeployments({ status: 'running', limit: 1000 }).some((d) => serviceKey(d.service, d.destination) === key);
  }

  private request(p: PendingConvergence): DeploymentRequest {
    const skipping = this.deps.store.getDeployment(p.deploymentId);
    const snapshot = (skipping?.snapshot ?? {}) as SkippingSnapshot;
    if (!skipping || !snapshot.files) throw new Error(`deployment ${p.deploymentId} that skipped ${p.host} is no longer recorded`);
    const sealed = this.deps.store.getServiceSecrets(p.key, p.version);
    if (!sealed) throw new Error(`the secrets of ${p.key} ${p.version} are no longer kept (only the newest versions are); deploy again`);
    return {
      command: 'deploy', files: snapshot.files, destination: skipping.destination, version: p.version,
      selection: { roles: [], hosts: [p.host], primary: false }, secrets: this.deps.secretBox.unseal(sealed),
      hookFiles: [], hooks: [], assets: { errorPages: snapshot.errorPages ?? null, accessoryFiles: {} },
      performer: CONVERGENCE_PERFORMER, lockHolder: CONVERGENCE_PERFORMER, skipPush: true, options: {}, lockWait: null,
    };
  }
}
