// Convergence (issue 12): a host a deployment skipped because its agent was offline, or an agent that came
// to match a label-selected role after the service was deployed, is brought to the service's version once
// it is connected: a `deploy -P -h HOST` the controller submits itself, from the recorded deployment's
// config files and the secrets kept for that version. It locks that host only, so hosts converge side by
// side, and it never starts while a deployment of the service runs or the service's lock is held.
import { describeError } from '@drover/shared';
import { NEW_VERSION_COMMANDS } from '../plan/auto-rollback.js';
import { matchRoleLabels } from '../plan/fleets.js';
import type { AgentPresence, Plan } from '../plan/types.js';
import type { ConvergenceStore, PendingConvergence } from '../store/convergence-store.js';
import { hostLockKey, serviceKey, type DeploymentRecord, type DeploymentStore } from '../store/deployment-store.js';
import type { SecretBox } from '../store/secret-box.js';
import type { DeploymentRequest } from '../server/deployments-api.js';
import { ROLLOUT_DEFAULTS } from './defaults.js';
import type { FinishedScope } from './deployments.js';
import type { RolloutOutcome } from './runner.js';

/** The performer and lock holder of convergence deployments (the hosts' audit logs show it). */
export const CONVERGENCE_PERFORMER = 'drover converge';

export interface ConvergenceDeps {
  pending: ConvergenceStore;
  store: Pick<DeploymentStore, 'getDeployment' | 'getLock' | 'getServiceSecrets' | 'listDeployments'>;
  secretBox: Pick<SecretBox, 'unseal'>;
  /** Submits a deployment that takes `lockKey` instead of the service's lock. */
  submit(req: DeploymentRequest, lockKey: string): DeploymentRecord;
  isOnline(host: string): boolean;
  /** The enrolled agents' labels, by name: who matches a label fleet. */
  agentLabels(): Record<string, Pick<AgentPresence, 'labels'>>;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

interface RecordedSnapshot {
  files?: { name: string; content: string }[];
  errorPages?: Record<string, string> | null;
}

export class Convergence {
  /** Convergence deployments in flight, by `key host`. */
  private readonly inFlight = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private soonTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: ConvergenceDeps) {}

  start(intervalMs: number = ROLLOUT_DEFAULTS.convergenceIntervalMs): void {
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.soonTimer) clearTimeout(this.soonTimer);
  }

  /**
   * A tick shortly (an agent connected): agents connecting together — thousands after a controller
   * restart — share one, since each tick matches every agent against the label fleets.
   */
  soon(delayMs: number = ROLLOUT_DEFAULTS.convergenceSoonMs): void {
    if (this.soonTimer) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = null;
      this.tick();
    }, delayMs);
    this.soonTimer.unref();
  }

  /** Every finished deployment: what its hosts now run, what its skipped hosts wait for, who its label fleet is. */
  deploymentFinished(record: DeploymentRecord, plan: Plan, outcome: RolloutOutcome, scope: FinishedScope): void {
    const converging = record.performer === CONVERGENCE_PERFORMER;
    const at = Date.now();
    if (outcome.status === 'succeeded' && plan.command === 'remove') {
      // Removed everywhere: nothing waits for the service. Removed from some hosts: nothing waits there
      // (they stay members of its fleet: an operator's removal is not undone behind their back).
      if (scope.wholeService) this.deps.pending.forgetService(plan.lockKey);
      else this.deps.pending.recordDeployed({ key: plan.lockKey, version: plan.version, deploymentId: record.id, deployed: plan.hosts, skipped: [], at });
    } else if (outcome.status === 'succeeded' && (NEW_VERSION_COMMANDS.has(plan.command) || plan.command === 'rollback')) {
      this.deps.pending.recordDeployed({
        key: plan.lockKey, version: plan.version, deploymentId: record.id, deployed: plan.hosts, skipped: plan.skippedHosts, at,
        // A convergence is a `deploy` of one host: the fleet it joined stays as its deployment recorded it.
        ...(converging ? {} : { fleet: scope.fleet }),
      });
    } else if (converging) {
      for (const host of plan.hosts) this.deps.pending.noteConvergenceAttempt(plan.lockKey, host, outcome.error ?? outcome.status);
    }
  }

  /** The convergence deployment running for the host, if any. */
  converging(key: string, host: string): string | null {
    const id = this.inFlight.get(`${key} ${host}`);
    return id && this.deps.store.getDeployment(id)?.status === 'running' ? id : null;
  }

  /**
   * Admits newly matching agents to label fleets (paused or not: they show as waiting), then submits a
   * convergence for each waiting host that can have one.
   */
  tick(): void {
    // Timers call it: a failure (the store unreadable) is logged, never the controller's end.
    try {
      this.look();
    } catch (err) {
      this.deps.log.warn({ err: describeError(err) }, 'convergence: could not look for hosts to converge');
    }
  }

  private look(): void {
    this.admitJoiners();
    if (this.deps.pending.convergencePaused()) return;
    for (const [id, deployment] of this.inFlight) if (this.deps.store.getDeployment(deployment)?.status !== 'running') this.inFlight.delete(id);
    const busy = new Map<string, boolean>();
    for (const p of this.deps.pending.pendingConvergence()) {
      if (this.inFlight.has(`${p.key} ${p.host}`)) continue;
      if (this.inFlight.size >= ROLLOUT_DEFAULTS.convergenceParallel) return;
      if (p.attempts >= ROLLOUT_DEFAULTS.convergenceAttempts || !this.deps.isOnline(p.host)) continue;
      if (!busy.has(p.key)) busy.set(p.key, this.serviceBusy(p.key));
      if (busy.get(p.key)) continue;
      this.converge(p);
    }
  }

  private converge(p: PendingConvergence): void {
    this.deps.pending.noteConvergenceAttempt(p.key, p.host, null);
    try {
      const deployment = this.deps.submit(this.request(p), hostLockKey(p.key, p.host));
      this.inFlight.set(`${p.key} ${p.host}`, deployment.id);
      this.deps.log.info({ host: p.host, service: p.key, version: p.version, reason: p.reason, deployment: deployment.id }, 'converging a host');
    } catch (err) {
      this.deps.pending.noteConvergenceAttempt(p.key, p.host, describeError(err));
      this.deps.log.warn({ host: p.host, service: p.key, err: describeError(err) }, 'cannot converge host');
    }
  }

  /** Agents that match a label fleet's selectors and are not yet part of it wait for its version from now on. */
  private admitJoiners(): void {
    const fleets = this.deps.pending.labelFleets();
    if (fleets.length === 0) return;
    const agents = this.deps.agentLabels();
    for (const fleet of fleets) {
      const members = new Set(fleet.members);
      const joiners = [...new Set(Object.values(matchRoleLabels(fleet.selectors, agents)).flat())].filter((h) => !members.has(h));
      if (joiners.length === 0) continue;
      this.deps.pending.admitToFleet(fleet.key, joiners, Date.now());
      this.deps.log.info({ service: fleet.key, version: fleet.version, hosts: joiners }, 'agents joined a label-selected role');
    }
  }

  /** The service's lock is held, or an operator's deployment of it runs (it may not hold the lock yet: pulls and waits come first). */
  private serviceBusy(key: string): boolean {
    if (this.deps.store.getLock(key)) return true;
    return this.deps.store.listDeployments({ status: 'running', limit: 1000 })
      .some((d) => d.performer !== CONVERGENCE_PERFORMER && serviceKey(d.service, d.destination) === key);
  }

  private request(p: PendingConvergence): DeploymentRequest {
    const recorded = this.deps.store.getDeployment(p.deploymentId);
    const snapshot = (recorded?.snapshot ?? {}) as RecordedSnapshot;
    if (!recorded || !snapshot.files) throw new Error(`deployment ${p.deploymentId} that ${p.host} is to follow is no longer recorded`);
    const sealed = this.deps.store.getServiceSecrets(p.key, p.version);
    if (!sealed) throw new Error(`the secrets of ${p.key} ${p.version} are no longer kept (only the newest versions are); deploy again`);
    return {
      command: 'deploy', files: snapshot.files, destination: recorded.destination, version: p.version,
      selection: { roles: [], hosts: [p.host], primary: false }, secrets: this.deps.secretBox.unseal(sealed),
      hookFiles: [], hooks: [], assets: { errorPages: snapshot.errorPages ?? null, accessoryFiles: {} },
      performer: CONVERGENCE_PERFORMER, lockHolder: CONVERGENCE_PERFORMER, skipPush: true, options: {}, lockWait: null,
    };
  }
}
