// Effects: runs a plan's phases through the agents, records every step and event, holds the lock.
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { isUserError, UserError } from '@drover/shared';
import { OPERATION_FAILED, OPERATION_INTERRUPTED, operationFailure } from '@drover/shared/operations/failure';
import type { OperationName, OperationParams, OperationResult } from '@drover/shared/operations';
import { RpcError } from '@drover/shared/protocol';
import type { SwitchedContainer } from '../plan/auto-rollback.js';
import type { BootTask, HostTask, OpCall, Phase, Plan } from '../plan/types.js';
import { lockedHost, type DeploymentStore } from '../store/deployment-store.js';
import { Barrier } from './barrier.js';
import { ROLLOUT_DEFAULTS } from './defaults.js';
import type { DeploymentEvent, EventLog } from './events.js';
import type { HookGate } from './hook-gate.js';
import { acquireDeployLock, type LockWait } from './lock.js';
import { describe } from './progress-lines.js';

/** Calls one operation on the agent of `host` (a deploy.yml host is an agent's name). */
export interface AgentCaller {
  call<N extends OperationName>(host: string, op: N, params: OperationParams<N>, opts: { operationId: string; timeoutMs: number }): Promise<OperationResult<N>>;
  /** Whether the agent of `host` is connected now. */
  isOnline(host: string): boolean;
  /** The same, streaming `input` to the operation (an image archive for `image.load`). */
  callWithInput<N extends OperationName>(host: string, op: N, params: OperationParams<N>, input: () => AsyncIterable<Buffer>, opts: { operationId: string; timeoutMs: number }): Promise<OperationResult<N>>;
}

/** Where `image.load` gets the archive of a local registry's image. */
export interface ImageArchives {
  open(service: string, version: string): AsyncIterable<Buffer>;
}

export interface RolloutContext {
  deploymentId: string;
  plan: Plan;
  /** Kamal's `Locked by:` (the operator's git user.name). */
  lockHolder: string;
  /** The lock to take: the service's (`plan.lockKey`) or, for a convergence, one host's. */
  lockKey: string;
  lockWait: LockWait | null;
  /** Seconds the app's health gate may take (deploy_timeout + readiness_delay), for the boot call's deadline. */
  bootSeconds: number;
  agents: AgentCaller;
  images: ImageArchives;
  store: DeploymentStore;
  events: EventLog;
  hooks: HookGate;
  /**
   * The calls that return switched containers to their previous version after a boot group failed (with
   * `plan.autoRollback`) or the canary's soak did; null for commands that boot nothing new.
   */
  planRollback: ((switched: SwitchedContainer[]) => HostTask[]) | null;
  /** Removes the deployment's secret values from text. */
  redact(text: string): string;
  signal: AbortSignal;
  clock?: () => number;
}

export interface RolloutOutcome {
  /** rolled_back: a boot group failed and every container that had switched is back on its previous version. */
  status: 'succeeded' | 'failed' | 'rolled_back';
  error: string | null;
  details: string[];
  exitCode: number;
}

/** A host's failure, kept with the lines a person needs under it. */
class HostFailure extends Error {
  constructor(
    readonly host: string, message: string, readonly details: string[], readonly exitCode: number,
    /** The agent stopped while the operation ran: what it changed on the host is unknown. */
    readonly interrupted = false,
  ) {
    super(message);
  }
}

/** Runs the plan to its end; never throws. The lock is released on every path. */
export async function runRollout(ctx: RolloutContext): Promise<RolloutOutcome> {
  const run = new Run(ctx);
  const started = run.clock();
  let outcome: RolloutOutcome;
  try {
    await run.phases();
    outcome = { status: 'succeeded', error: null, details: [], exitCode: 0 };
  } catch (err) {
    outcome = run.failure(err);
    if (run.bootFailed) outcome = await run.rollBack(outcome);
  } finally {
    run.releaseLock();
  }
  const runtimeSeconds = Math.round((run.clock() - started) / 100) / 10;
  ctx.events.append(ctx.deploymentId, { type: 'end', ...outcome, runtimeSeconds });
  return outcome;
}

class Run {
  readonly clock: () => number;
  private readonly barrier = new Barrier();
  private holdsLock = false;
  /** Containers that became healthy at the new version, for an automatic rollback. */
  private readonly switched: SwitchedContainer[] = [];
  /** Boots the agent was killed in the middle of: they may have switched, so a rollback takes them too. */
  private readonly interrupted: Array<{ host: string; role: string }> = [];
  /** A boot group failed (its health gate, or its hosts unreachable): what automatic rollback answers. */
  bootFailed = false;
  /** The canary did not stay healthy through its soak: rolled back whatever auto_rollback says. */
  private canaryFailed = false;

  constructor(private readonly ctx: RolloutContext) {
    this.clock = ctx.clock ?? Date.now;
  }

  private emit(event: DeploymentEvent): void {
    this.ctx.events.append(this.ctx.deploymentId, event);
  }

  private say(text: string): void {
    this.emit({ type: 'say', text: this.ctx.redact(text) });
  }

  async phases(): Promise<void> {
    const { phases } = this.ctx.plan;
    for (let i = 0; i < phases.length; i++) {
      if (this.ctx.signal.aborted) throw new UserError('the deployment was cancelled');
      await this.phase(phases[i]!, i);
    }
  }

  private async phase(phase: Phase, index: number): Promise<void> {
    switch (phase.kind) {
      case 'say': return this.say(phase.text);
      case 'lock': return this.lock();
      case 'unlock': return this.unlock();
      case 'sleep': await sleep(phase.seconds * 1000, undefined, { signal: this.ctx.signal }); return;
      case 'hook': return this.hook(phase.hook, phase.hosts, `${index}.hook`);
      case 'ops': return this.ops(phase.tasks, index);
      case 'boot': return this.bootGroup(phase.tasks, index, phase.parallelRoles);
      case 'soak': return this.soak(phase, index);
      case 'await_agents': return this.awaitAgents(phase.hosts, phase.seconds);
    }
  }

  private async lock(): Promise<void> {
    const { plan, store } = this.ctx;
    await acquireDeployLock({
      store, wait: this.ctx.lockWait, say: (t) => this.say(t), clock: this.clock,
      sleep: (ms) => sleep(ms, undefined, { signal: this.ctx.signal }),
      lock: {
        key: this.ctx.lockKey, holder: this.ctx.lockHolder, message: ROLLOUT_DEFAULTS.automaticLockMessage, version: plan.version,
        acquiredAt: this.clock(), automatic: true, deploymentId: this.ctx.deploymentId,
      },
    });
    this.holdsLock = true;
  }

  private unlock(): void {
    const host = lockedHost(this.ctx.lockKey);
    this.say(host === null ? 'Releasing the deploy lock...' : `Releasing the deploy lock of ${host}...`);
    this.releaseLock();
  }

  releaseLock(): void {
    if (!this.holdsLock) return;
    this.holdsLock = false;
    this.ctx.store.releaseLock(this.ctx.lockKey, { deploymentId: this.ctx.deploymentId });
  }

  private async hook(hook: string, hosts: string[], step: string): Promise<void> {
    this.emit({ type: 'hook', step, hook, hosts });
    const outcome = await this.ctx.hooks.wait(this.ctx.deploymentId, step, hook, this.ctx.signal);
    this.emit({ type: 'hook_done', step, hook, ok: outcome.ok });
    if (!outcome.ok) throw new UserError(this.ctx.redact(outcome.message ?? `Hook \`${hook}\` failed`));
  }

  /**
   * Runs `each` on every item at once; all finish before failures are reported (Kamal's `on(hosts)`).
   * Thousands of hosts are started a slice per event-loop turn, so requests waiting on the controller
   * (`drover agents`, followers) are served in between.
   */
  private async inParallel<T>(items: T[], each: (item: T) => Promise<void>): Promise<void> {
    const settling: Promise<PromiseSettledResult<void>>[] = [];
    for (let i = 0; i < items.length; i++) {
      if (i > 0 && i % ROLLOUT_DEFAULTS.dispatchSlice === 0) await nextTurn();
      // Settled at once: a host failing while later slices wait is never an unhandled rejection.
      settling.push(each(items[i]!).then((value) => ({ status: 'fulfilled', value }), (reason: unknown) => ({ status: 'rejected', reason })));
    }
    const results = await Promise.all(settling);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) {
      // Each host's line, then its own explanation under it: the same container name fails alike on every host.
      const details = failures.flatMap((f) => (f instanceof HostFailure ? [`${f.host}: ${f.message}`, ...f.details.map((d) => `  ${d}`)] : [(f as Error).message]));
      throw new UserError(`Exceptions on ${failures.length} hosts:`, { details });
    }
  }

  /** Hosts in parallel; then Kamal's one line per accessory whose boot was skipped where its container exists. */
  private async ops(tasks: HostTask[], phase: number): Promise<void> {
    const skipped = new Map<string, string[]>();
    const noteSkip = (host: string, call: OpCall, result: unknown) => {
      if (call.op !== 'accessory.boot' || (result as { action?: string } | null)?.action !== 'skipped') return;
      skipped.set(call.params.name, [...(skipped.get(call.params.name) ?? []), host]);
    };
    try {
      await this.inParallel(tasks, (task) => this.hostTask(task, phase, noteSkip));
    } finally {
      for (const [name, hosts] of skipped) this.say(`Skipping booting \`${name}\` on ${hosts.sort().join(', ')}, a container already exists`);
    }
  }

  private async hostTask(task: HostTask, phase: number | string, onResult: (host: string, call: OpCall, result: unknown) => void): Promise<void> {
    const started = this.clock();
    for (let i = 0; i < task.calls.length; i++) {
      const call = task.calls[i]!;
      onResult(task.host, call, await this.call(task.host, call, `${phase}.${i}.${stepHost(task.host)}`, started));
    }
  }

  private async call(host: string, call: OpCall, step: string, since: number): Promise<OperationResult<OperationName>> {
    const t0 = this.clock();
    const opts = { operationId: `${this.ctx.deploymentId}.${step}`, timeoutMs: this.timeoutFor(call.op) };
    // The request goes out first; the bookkeeping (durable writes) waits until every host of the phase
    // has been sent its own, so hosts start together rather than one fsync apart.
    const pending = call.op === 'image.load'
      ? this.ctx.agents.callWithInput(host, call.op, call.params, () => this.ctx.images.open(call.params.service, call.params.version), opts)
      : this.ctx.agents.call(host, call.op, call.params as never, opts);
    pending.catch(() => undefined);
    await nextTurn();
    this.emit({ type: 'step', step, host, op: call.op, status: 'running' });
    this.ctx.store.recordStep({ deploymentId: this.ctx.deploymentId, stepId: step, host, kind: call.op, status: 'running', startedAt: t0, finishedAt: null, error: null });
    try {
      const result = await pending;
      const elapsedMs = this.clock() - t0;
      this.ctx.store.recordStep({ deploymentId: this.ctx.deploymentId, stepId: step, host, kind: call.op, status: 'succeeded', startedAt: t0, finishedAt: this.clock(), error: null });
      this.emit({ type: 'step', step, host, op: call.op, status: 'succeeded', elapsedMs });
      this.emit({ type: 'host', host, text: this.ctx.redact(describe(call, result)), elapsedMs: this.clock() - since });
      return result;
    } catch (err) {
      const failure = this.hostFailure(host, call.op, err);
      this.ctx.store.recordStep({ deploymentId: this.ctx.deploymentId, stepId: step, host, kind: call.op, status: 'failed', startedAt: t0, finishedAt: this.clock(), error: failure.message });
      this.emit({ type: 'step', step, host, op: call.op, status: 'failed', elapsedMs: this.clock() - t0, error: failure.message, details: failure.details });
      throw failure;
    }
  }

  private timeoutFor(op: OperationName): number {
    if (PULLING_OPS.has(op)) return ROLLOUT_DEFAULTS.pullTimeoutMs;
    // A start deploys to kamal-proxy again, which waits for the container's health like a boot.
    if (op === 'app.boot' || op === 'app.start') return this.ctx.bootSeconds * 1000 + ROLLOUT_DEFAULTS.bootGraceMs;
    return ROLLOUT_DEFAULTS.operationTimeoutMs;
  }

  private hostFailure(host: string, op: string, err: unknown): HostFailure {
    if (err instanceof HostFailure) return err;
    const redact = (s: string) => this.ctx.redact(s);
    if (err instanceof RpcError) {
      const failure = err.code === OPERATION_FAILED ? operationFailure.safeParse(err.details) : null;
      const details = failure?.success ? failure.data.details.map(redact) : [];
      const message = err.code === 'disconnected' || err.code === 'not_connected'
        ? `agent ${host}: connection lost during ${op} (${err.message})`
        : redact(err.message);
      return new HostFailure(host, message, details, failure?.success ? failure.data.exitCode || 1 : 1, err.code === OPERATION_INTERRUPTED);
    }
    if (isUserError(err)) return new HostFailure(host, redact(err.message), err.details.map(redact), err.exitCode || 1);
    return new HostFailure(host, redact(`${op} failed on ${host}: ${(err as Error).message ?? String(err)}`), [], 1);
  }

  private async bootGroup(tasks: BootTask[], index: number, parallelRoles: boolean): Promise<void> {
    try {
      await this.inParallel(groupByHost(tasks), (hostTasks) => this.bootHost(hostTasks, index, parallelRoles));
    } catch (err) {
      this.bootFailed = true;
      throw err;
    }
  }

  /** `x-drover/offline: wait`: polls until every agent is connected; those still missing at the deadline fail. */
  private async awaitAgents(hosts: string[], seconds: number): Promise<void> {
    const deadline = this.clock() + seconds * 1000;
    let missing = hosts;
    while ((missing = missing.filter((h) => !this.ctx.agents.isOnline(h))).length > 0 && this.clock() < deadline) {
      await sleep(ROLLOUT_DEFAULTS.agentPollMs, undefined, { signal: this.ctx.signal });
    }
    if (missing.length === 1) throw new HostFailure(missing[0]!, `agent ${missing[0]} did not connect within ${seconds}s`, [], 1);
    if (missing.length > 1) throw new UserError(`${missing.length} agents did not connect within ${seconds}s`, { details: missing });
    this.say(`Agents connected: ${hosts.join(', ')}`);
  }

  /** The canary soak: its containers probed every interval until the soak time passed; the first problem fails it. */
  private async soak(phase: Extract<Phase, { kind: 'soak' }>, index: number): Promise<void> {
    const started = this.clock();
    const record = (host: string, status: 'running' | 'succeeded' | 'failed', error: string | null = null) => this.ctx.store.recordStep({
      deploymentId: this.ctx.deploymentId, stepId: `${index}.soak.${stepHost(host)}`, host, kind: 'app.probe', status, startedAt: started, finishedAt: status === 'running' ? null : this.clock(), error,
    });
    for (const host of phase.hosts) record(host, 'running');
    let checks = 0;
    try {
      for (;;) {
        await this.inParallel(phase.tasks, (task) => this.probeHost(task, `${index}.soak${checks}`).catch((err: unknown) => {
          record(task.host, 'failed', (err as Error).message);
          throw err;
        }));
        checks++;
        const left = started + phase.seconds * 1000 - this.clock();
        if (left <= 0) break;
        await sleep(Math.min(ROLLOUT_DEFAULTS.canaryProbeIntervalMs, left), undefined, { signal: this.ctx.signal });
      }
    } catch (err) {
      this.bootFailed = true;
      this.canaryFailed = true;
      throw err;
    }
    for (const host of phase.hosts) {
      record(host, 'succeeded');
      this.emit({ type: 'host', host, text: `canary healthy for ${phase.seconds}s (${checks} checks)`, elapsedMs: this.clock() - started });
    }
  }

  private async probeHost(task: HostTask, round: string): Promise<void> {
    for (const [i, call] of task.calls.entries()) {
      if (call.op !== 'app.probe') continue;
      const opts = { operationId: `${this.ctx.deploymentId}.${round}.${i}.${stepHost(task.host)}`, timeoutMs: ROLLOUT_DEFAULTS.canaryProbeTimeoutMs };
      const verdict = await this.ctx.agents.call(task.host, 'app.probe', call.params, opts).catch((err: unknown) => { throw this.hostFailure(task.host, 'app.probe', err); });
      if (!verdict.healthy) throw new HostFailure(task.host, `canary ${verdict.container} failed during its soak: ${verdict.problem ?? 'unhealthy'}`, [], 1);
    }
  }

  /** One host's roles in a boot group: in order (primary first), or all at once with `parallel_roles`. */
  private async bootHost(tasks: BootTask[], phase: number, parallelRoles: boolean): Promise<void> {
    const since = this.clock();
    const boot = (t: BootTask) => this.bootRole(t, `${phase}.${t.role}.${stepHost(t.host)}`, since);
    if (parallelRoles) await this.inParallel(tasks, boot);
    else for (const t of tasks) await boot(t);
  }

  private async bootRole(task: BootTask, step: string, since: number): Promise<void> {
    const primary = this.ctx.plan.primaryRole;
    if (!task.gatekeeper) {
      this.say(`Waiting for the first healthy ${primary} container before booting ${task.role} on ${task.host}...`);
      if (!(await this.barrier.wait())) {
        this.say(`First ${primary} container is unhealthy, not booting ${task.role} on ${task.host}`);
        throw new HostFailure(task.host, 'Halted at barrier', [], 1);
      }
      this.say(`First ${primary} container is healthy, booting ${task.role} on ${task.host}...`);
    }
    try {
      const booted = await this.call(task.host, task.call, step, since) as OperationResult<'app.boot'>;
      const previousVersion = booted.oldVersion;
      if (previousVersion && previousVersion !== task.call.params.version) this.switched.push({ host: task.host, role: task.role, previousVersion });
    } catch (err) {
      if (err instanceof HostFailure && err.interrupted) this.interrupted.push({ host: task.host, role: task.role });
      this.say(`Failed to boot ${task.role} on ${task.host}`);
      if (task.gatekeeper && this.barrier.close()) this.say(`First ${primary} container is unhealthy on ${task.host}, not booting any other roles`);
      throw err;
    }
    if (task.gatekeeper && this.barrier.open()) this.say(`First ${primary} container is healthy on ${task.host}, booting any other roles`);
  }

  /**
   * After a failed boot group: the containers that had switched go back to their previous version, each
   * host on its own (one failing does not stop the others). Never throws; the outcome carries a line per host.
   */
  async rollBack(failed: RolloutOutcome): Promise<RolloutOutcome> {
    if (!this.ctx.planRollback || this.switched.length === 0) return failed;
    if (!this.ctx.plan.autoRollback && !this.canaryFailed) return failed;
    const order = this.ctx.plan.hosts;
    const switched = [...this.switched, ...this.maybeSwitched()].sort((a, b) => order.indexOf(a.host) - order.indexOf(b.host));
    let tasks: HostTask[];
    try {
      tasks = this.ctx.planRollback(switched);
    } catch (err) {
      return { ...failed, details: [...failed.details, `automatic rollback not possible: ${this.failure(err).error ?? ''}`] };
    }
    const versions = [...new Set(switched.map((s) => s.previousVersion))];
    this.say(`Rolling back ${tasks.map((t) => t.host).join(', ')} to ${versions.length === 1 ? `version ${versions[0]}` : 'the versions they ran before'}...`);
    const report = await Promise.all(tasks.map(async (task) => {
      const back = switched.filter((s) => s.host === task.host).map((s) => `${s.role} on ${s.previousVersion}`).join(', ');
      try {
        await this.hostTask(task, 'rollback', () => undefined);
        return { ok: true, line: `${task.host}: rolled back (${back})` };
      } catch (err) {
        return { ok: false, line: `${task.host}: rollback failed (${back}): ${this.hostFailure(task.host, 'app.boot', err).message}` };
      }
    }));
    const complete = report.every((r) => r.ok);
    this.say(complete ? `Rolled back ${tasks.length} ${tasks.length === 1 ? 'host' : 'hosts'}` : 'Automatic rollback incomplete, see the hosts below');
    return { ...failed, status: complete ? 'rolled_back' : 'failed', details: [...failed.details, ...report.map((r) => r.line)] };
  }

  /**
   * Interrupted boots, as switched from the version the role's other hosts reported replacing: booting that
   * version converges whether or not the interrupted boot got as far as switching.
   */
  private maybeSwitched(): SwitchedContainer[] {
    return this.interrupted.flatMap(({ host, role }) => {
      const seen = this.switched.filter((s) => s.role === role).map((s) => s.previousVersion);
      const previousVersion = seen.sort((a, b) => seen.filter((v) => v === b).length - seen.filter((v) => v === a).length)[0];
      return previousVersion ? [{ host, role, previousVersion }] : [];
    });
  }

  failure(err: unknown): RolloutOutcome {
    if (err instanceof HostFailure) return { status: 'failed', error: `${err.host}: ${err.message}`, details: err.details, exitCode: err.exitCode };
    if (isUserError(err)) return { status: 'failed', error: this.ctx.redact(err.message), details: err.details.map((d) => this.ctx.redact(d)), exitCode: err.exitCode || 1 };
    return { status: 'failed', error: this.ctx.redact(`internal error: ${(err as Error)?.message ?? String(err)}`), details: [], exitCode: 1 };
  }
}

/** Operations that may pull an image (their deadline allows for it). */
const PULLING_OPS: ReadonlySet<OperationName> = new Set<OperationName>(['image.pull', 'image.load', 'proxy.boot', 'proxy.reboot', 'accessory.boot', 'accessory.reboot']);

function groupByHost(tasks: BootTask[]): BootTask[][] {
  const byHost = new Map<string, BootTask[]>();
  for (const t of tasks) byHost.set(t.host, [...(byHost.get(t.host) ?? []), t]);
  return [...byHost.values()];
}

/** Step ids become idempotency keys on the agent: letters, digits, `.`, `_`, `:` and `-` only. */
function stepHost(host: string): string {
  return host.replace(/[^A-Za-z0-9_.:-]/g, '_');
}
