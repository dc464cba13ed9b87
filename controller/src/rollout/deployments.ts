// Deployments: accepted from an operator, planned, recorded, run through the agents, followed by anyone.
import { randomBytes } from 'node:crypto';
import { UserError } from '@drover/shared';
import { loadRenderedConfig, type ResolvedConfig } from '@drover/shared/config';
import { secretRedactor } from '@drover/shared/operations/redact';
import { requiredSecretNames } from '@drover/shared/secrets';
import { NEW_VERSION_COMMANDS, planAutomaticRollback, type SwitchedContainer } from '../plan/auto-rollback.js';
import { checkLabelRoles, matchRoleLabels } from '../plan/fleets.js';
import { planRollout } from '../plan/plan.js';
import type { AgentPresence, HostTask, Plan, PlanCommand } from '../plan/types.js';
import type { DeploymentRecord, DeploymentStore } from '../store/deployment-store.js';
import type { SecretBox } from '../store/secret-box.js';
import type { ImageStore } from '../store/image-store.js';
import type { DeploymentRequest, DeploymentView } from '../server/deployments-api.js';
import type { z } from 'zod';
import { ROLLOUT_DEFAULTS } from './defaults.js';
import { EventLog } from './events.js';
import { HookGate } from './hook-gate.js';
import { runRollout, type AgentCaller, type RolloutOutcome } from './runner.js';

type Request = z.output<typeof import('../server/deployments-api.js').DeploymentRequest>;

export interface DeploymentsDeps {
  store: DeploymentStore;
  secretBox: SecretBox;
  agents: AgentCaller;
  /** Archives of local-registry images the operators uploaded. */
  images: ImageStore;
  /** Presence and inventory of the enrolled agents, by name. */
  presence(): Record<string, AgentPresence>;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  hookLimits?: { timeoutMs: number; unattendedMs: number };
  /** Told of every deployment that ended (convergence keeps its waiting hosts and label fleets by it). */
  onFinished?(record: DeploymentRecord, plan: Plan, outcome: RolloutOutcome, scope: FinishedScope): void;
}

/** What a finished deployment covered, besides its plan's hosts. */
export interface FinishedScope {
  /** Its label fleet; null when no role of its config selects hosts by label. */
  fleet: DeployedFleet | null;
  /** Run without -r, -h or -p: every host of the service. */
  wholeService: boolean;
}

/** A deployment's label fleet: its roles' selectors and every host its config names or selected. */
export interface DeployedFleet {
  selectors: Record<string, Record<string, string>>;
  members: string[];
}

/** Who runs a submitted deployment; a convergence locks only the host it brings up to date. */
export interface SubmitOptions {
  lockKey?: string;
}

/** What is kept with a deployment besides its events: enough to see and re-run it, no secret values. */
interface Snapshot {
  files: { name: string; content: string }[];
  selection: Request['selection'];
  hosts: string[];
  /** Left out because their agents were not connected (`x-drover/offline: skip`). */
  skippedHosts: string[];
  roles: string[];
  skipPush: boolean;
  options: Request['options'];
  /** `error_pages_path` files, for a convergence that deploys this version later without the operator. */
  errorPages: Record<string, string> | null;
}

/**
 * Commands whose operations carry secret values (env files, registry logins, TLS material): every secret
 * the config reads must come with them. Others plan without secrets (a missing one is named if needed).
 */
const NEEDS_SECRETS: ReadonlySet<PlanCommand> = new Set<PlanCommand>([
  'deploy', 'redeploy', 'rollback', 'setup', 'remove', 'app boot', 'proxy boot', 'proxy reboot', 'accessory boot', 'accessory reboot', 'build pull',
]);
/** Commands that boot the app at the request's version: their secrets are kept, sealed, for that version. */
const KEEPS_SECRETS: ReadonlySet<PlanCommand> = new Set<PlanCommand>(['deploy', 'redeploy', 'rollback', 'setup', 'app boot']);

export class Deployments {
  readonly events: EventLog;
  readonly hooks: HookGate;
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();

  constructor(private readonly deps: DeploymentsDeps) {
    this.events = new EventLog(deps.store);
    this.hooks = new HookGate(deps.hookLimits ?? { timeoutMs: ROLLOUT_DEFAULTS.hookTimeoutMs, unattendedMs: ROLLOUT_DEFAULTS.hookUnattendedMs });
  }

  /** A controller that stopped mid-deployment ends those deployments and frees their automatic locks: never a stale lock. */
  recoverInterrupted(): DeploymentRecord[] {
    const reason = 'the controller stopped during this deployment; it was marked failed and its deploy lock released';
    // What was under way on which host: its agent may have finished it, so it is named, not guessed.
    const inProgress = new Map(this.deps.store.listDeployments({ status: 'running', limit: 1000 }).map((d) => [d.id, this.underWay(d)]));
    const failed = this.deps.store.failInterruptedDeployments(reason, Date.now());
    for (const d of failed) {
      this.events.append(d.id, { type: 'end', status: 'failed', error: reason, details: inProgress.get(d.id) ?? [], exitCode: 1, runtimeSeconds: 0 });
      this.deps.log.info({ deployment: d.id }, 'interrupted deployment marked failed');
    }
    return failed;
  }

  /**
   * The steps recorded as running; when none is (the controller stopped between sending a phase's
   * requests and recording them), the phase its last line announced.
   */
  private underWay(d: DeploymentRecord): string[] {
    const steps = this.deps.store.listSteps(d.id).filter((st) => st.status === 'running')
      .map((st) => `${st.host ?? 'controller'}: ${st.kind} was in progress; its outcome on the host is unknown here (see \`drover details\`)`);
    if (steps.length > 0) return steps;
    const said = this.deps.store.listEvents(d.id, Math.max(0, d.eventCount - 20)).map((e) => e.event as { type?: string; text?: string })
      .filter((e) => e.type === 'say').at(-1);
    return said?.text ? [`controller: stopped during "${said.text}"; what the hosts did of it is unknown here (see \`drover details\`)`] : [];
  }

  /**
   * Checks, plans and starts a deployment. Everything that can be wrong with the request (config, secrets,
   * agents offline or unknown) is reported here, before anything is recorded or run.
   */
  submit(req: Request, opts: SubmitOptions = {}): DeploymentRecord {
    const presence = this.deps.presence();
    const { config, labelHosts } = this.resolve(req, presence);
    const missing = NEEDS_SECRETS.has(req.command) ? requiredSecretNames(config).filter((n) => req.secrets[n] === undefined) : [];
    if (missing.length > 0) throw new UserError(missing.length === 1 ? `Secret '${missing[0]}' not found in the secrets sent with this deployment` : `${missing.length} secrets are missing`, { details: missing.map((n) => `Secret '${n}' not found`) });
    const pulls = req.command === 'deploy' || req.command === 'redeploy' || req.command === 'setup' || req.command === 'build pull';
    if (pulls && config.registry.local && !this.deps.images.has(config.service, config.version)) {
      throw new UserError(`${config.image.ref}: the image of the local registry ${config.registry.server} was not uploaded to the controller (deploy without -P to build and upload it)`);
    }
    const plan = planRollout({
      command: req.command, config, secrets: req.secrets, selection: req.selection, agents: presence, performer: req.performer,
      hooks: req.hooks, assets: req.assets, skipPush: req.skipPush, options: req.options,
    });
    const id = `dep-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const snapshot: Snapshot = { files: req.files, selection: req.selection, hosts: plan.hosts, skippedHosts: plan.skippedHosts, roles: plan.roles, skipPush: req.skipPush, options: req.options, errorPages: req.assets.errorPages };
    const keepsSecrets = Object.keys(req.secrets).length > 0 && KEEPS_SECRETS.has(req.command);
    const record = this.deps.store.createDeployment({
      id, service: config.service, destination: config.destination, command: req.command, version: config.version,
      performer: req.performer, createdAt: Date.now(), snapshot,
    }, keepsSecrets ? { key: config.serviceAndDestination, version: config.version, sealed: this.deps.secretBox.seal(req.secrets), at: Date.now(), keep: ROLLOUT_DEFAULTS.keptSecretVersions } : undefined);
    this.start(record, plan, config, req, labelHosts, opts.lockKey ?? plan.lockKey);
    return record;
  }

  /** The request's config, with the agents that `x-drover/roles/<role>/labels` select added to their roles. */
  private resolve(req: Request, presence: Record<string, AgentPresence>): { config: ResolvedConfig; labelHosts: Record<string, string[]> } {
    const load = (labelHosts?: Record<string, string[]>) => loadRenderedConfig({ files: req.files, destination: req.destination, version: req.version, hookFiles: req.hookFiles, labelHosts });
    const named = load();
    if (Object.keys(named.drover.roleLabels).length === 0) return { config: named, labelHosts: {} };
    const labelHosts = matchRoleLabels(named.drover.roleLabels, presence);
    const config = load(labelHosts);
    checkLabelRoles(config);
    return { config, labelHosts };
  }

  private start(record: DeploymentRecord, plan: Plan, config: ResolvedConfig, req: Request, labelHosts: Record<string, string[]>, lockKey: string): void {
    const abort = new AbortController();
    // Grows when an automatic rollback brings back an earlier version's secret values.
    const secretValues = new Set(Object.values(req.secrets));
    let redactor = secretRedactor([...secretValues]);
    const redact = (text: string) => redactor(text);
    // Once per version: a rollback asks for each container it returns.
    const secretsByVersion = new Map<string, Record<string, string>>([[config.version, req.secrets]]);
    const secretsFor = (version: string): Record<string, string> => {
      const known = secretsByVersion.get(version);
      if (known) return known;
      const sealed = this.deps.store.getServiceSecrets(config.serviceAndDestination, version);
      const values = sealed ? this.deps.secretBox.unseal(sealed) : req.secrets;
      secretsByVersion.set(version, values);
      for (const v of Object.values(values)) secretValues.add(v);
      redactor = secretRedactor([...secretValues]);
      return values;
    };
    this.deps.log.info({ deployment: record.id, service: record.service, command: record.command, version: record.version, hosts: plan.hosts.length }, 'deployment started');
    const done = runRollout({
      deploymentId: record.id, plan, lockHolder: req.lockHolder, lockKey, lockWait: req.lockWait,
      bootSeconds: config.timeouts.deploy + config.timeouts.readinessDelay,
      agents: this.deps.agents, images: this.deps.images, store: this.deps.store, events: this.events, hooks: this.hooks, redact, signal: abort.signal,
      planRollback: NEW_VERSION_COMMANDS.has(req.command) ? (switched) => this.planRollback(req, labelHosts, switched, secretsFor) : null,
    }).then((outcome) => {
      this.deps.store.finishDeployment(record.id, { status: outcome.status, error: outcome.error, exitCode: outcome.exitCode, at: Date.now() });
      const { roles, hosts, primary } = req.selection;
      this.deps.onFinished?.(record, plan, outcome, { fleet: fleetOf(config), wholeService: roles.length === 0 && hosts.length === 0 && !primary });
      this.deps.log.info({ deployment: record.id, status: outcome.status }, 'deployment finished');
    }).catch((err: unknown) => {
      this.deps.log.error({ deployment: record.id, err: (err as Error).message }, 'deployment bookkeeping failed');
    }).finally(() => this.running.delete(record.id));
    this.running.set(record.id, { abort, done });
  }

  /** The earlier versions' configs come from the same files; their secrets from those kept for them (else this request's). */
  private planRollback(req: Request, labelHosts: Record<string, string[]>, switched: SwitchedContainer[], secretsFor: (version: string) => Record<string, string>): HostTask[] {
    const configAt = (version: string) => loadRenderedConfig({ files: req.files, destination: req.destination, version, hookFiles: req.hookFiles, labelHosts });
    return planAutomaticRollback({ configAt, secretsFor, assets: req.assets, performer: req.performer }, switched);
  }

  get(id: string): DeploymentRecord | null {
    return this.deps.store.getDeployment(id);
  }

  view(d: DeploymentRecord): DeploymentView {
    const snap = (d.snapshot ?? {}) as Partial<Snapshot>;
    return {
      id: d.id, service: d.service, destination: d.destination, command: d.command, version: d.version, performer: d.performer,
      status: d.status, createdAt: d.createdAt, finishedAt: d.finishedAt, error: d.error, exitCode: d.exitCode, eventCount: d.eventCount,
      hosts: snap.hosts ?? [], skippedHosts: snap.skippedHosts ?? [], roles: snap.roles ?? [],
    };
  }

  /**
   * Controller shutdown: running deployments stop at their next phase and end failed, releasing their
   * locks. Waits a little for that; one still inside an agent call is ended by `recoverInterrupted` at the next start.
   */
  async close(waitMs = 5_000): Promise<void> {
    for (const { abort } of this.running.values()) abort.abort();
    const settled = Promise.all([...this.running.values()].map((r) => r.done));
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
  }
}

/** Null when no role selects its hosts by label. */
function fleetOf(config: ResolvedConfig): DeployedFleet | null {
  if (Object.keys(config.drover.roleLabels).length === 0) return null;
  return { selectors: config.drover.roleLabels, members: [...new Set(config.roles.flatMap((r) => r.hosts.map((h) => h.host)))] };
}

export type { DeploymentRequest };
