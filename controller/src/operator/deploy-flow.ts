// The operator's side of `drover deploy` and friends: read the project, build and push, submit the
// deployment, then follow it: print its events, run the hooks it reaches, end with its exit code.
import { UserError, describeError } from '@drover/shared';
import type { OperatorClient } from '../client/operator-client.js';
import type { DeploymentEvent, IndexedEvent } from '../rollout/events.js';
import type { DeploymentRequest, DeploymentView } from '../server/deployments-api.js';
import { hooksFiredBy } from '../plan/commands.js';
import type { CommandOptions, PlanCommand, Selection } from '../plan/types.js';
import { registryAuth } from '../plan/op-params.js';
import { existingHooks, kamalHookEnv, runHook, type HookName } from './hooks.js';
import { loadProject, lockHolderOf, performerOf, type Project } from './project.js';

export type DeployCommandName = 'deploy' | 'redeploy' | 'rollback' | 'setup' | 'remove';

/** Where a command writes: injected so commands run in-process in tests. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export interface DeployFlowOptions {
  /** `deploy`, … or a subcommand as Kamal spells it (`app boot`, `proxy reboot`). */
  command: PlanCommand;
  /** The subcommand's flags (`--rolling`, `--message`, …). */
  commandOptions?: CommandOptions;
  cwd: string;
  configFile?: string;
  destination?: string;
  version?: string;
  selection: Selection;
  skipPush: boolean;
  noCache: boolean;
  skipHooks: boolean;
  detach: boolean;
  json: boolean;
  verbosity: 'quiet' | 'normal' | 'verbose';
  lockWait: { timeoutSeconds: number; intervalSeconds: number } | null;
  env?: NodeJS.ProcessEnv;
}

/** Runs one deployment command end to end; resolves to the process exit code. */
export async function runDeployFlow(o: DeployFlowOptions, client: OperatorClient, io: Output): Promise<number> {
  const started = Date.now();
  // git runs beside the project's loading.
  const identity = Promise.all([performerOf(o.cwd), lockHolderOf(o.cwd)]);
  const project = await loadProject({ cwd: o.cwd, configFile: o.configFile, destination: o.destination, version: o.version, env: o.env });
  const { config } = project;
  const ctx = new FlowContext(o, project, io, started);
  const hooks = o.skipHooks ? [] : existingHooks(project.dir, config.hooks.path);
  const fired: readonly string[] = hooksFiredBy(o.command);
  const rolloutHooks = hooks.filter((h) => fired.includes(h)) as DeploymentRequest['hooks'];
  if (o.detach && rolloutHooks && rolloutHooks.length > 0) {
    throw new UserError(`--detach: this project has hooks that run during the rollout (${rolloutHooks.join(', ')}), and hooks run on this machine; follow the deployment, or skip hooks with -H`);
  }
  if (hooks.includes('pre-connect')) await ctx.hook('pre-connect', config.hosts);
  if ((o.command === 'deploy' || o.command === 'redeploy' || o.command === 'setup') && !o.skipPush) await buildStep(o, project, ctx, client, hooks);
  const [performer, lockHolder] = await identity;
  const deployment = await client.submitDeployment({
    command: o.command, files: project.files, destination: config.destination, version: config.version,
    selection: o.selection, secrets: project.secrets, hookFiles: hooks, hooks: rolloutHooks,
    assets: { errorPages: project.errorPages, accessoryFiles: project.accessoryFiles },
    performer, lockHolder, skipPush: o.skipPush, lockWait: o.lockWait, options: o.commandOptions ?? {},
  });
  if (o.detach) {
    if (o.json) io.out(JSON.stringify({ result: { deployment: deployment.id, status: deployment.status } }));
    else io.out(`Deployment ${deployment.id} started; follow it with: drover deployments watch ${deployment.id}`);
    return 0;
  }
  return followDeployment(client, deployment, ctx);
}

/** Kamal's `build push`, also the first step of deploy: pre-build hook, build, push (or upload, for a local registry). */
async function buildStep(o: Pick<DeployFlowOptions, 'noCache' | 'env'>, project: Project, ctx: FlowContext, client: OperatorClient, hooks: HookName[]): Promise<void> {
  const { config } = project;
  ctx.say('Build and push app image...');
  // Kamal runs pre-build after the registry login, before the clone and the build.
  const preBuild = hooks.includes('pre-build') ? () => ctx.hook('pre-build', config.hosts) : undefined;
  const local = config.registry.local;
  // Loaded only when building: `-P` and the other commands do not pay for dockerode.
  const { buildAndPush } = await import('./build.js');
  await buildAndPush({ config, projectDir: project.dir, registry: registryAuth(config.registry, project.secrets), noCache: o.noCache, say: (line) => ctx.detail(line), output: (line) => ctx.verbose(line), env: o.env, preBuild, push: !local });
  if (local) await uploadLocalImage(client, project, ctx, o.env);
}

/** `drover build push`: the build step alone (pre-connect and pre-build hooks included). */
export async function runBuildFlow(o: Pick<DeployFlowOptions, 'cwd' | 'configFile' | 'destination' | 'version' | 'env' | 'noCache' | 'skipHooks' | 'json' | 'verbosity' | 'selection'>, client: OperatorClient, io: Output): Promise<number> {
  const project = await loadProject({ cwd: o.cwd, configFile: o.configFile, destination: o.destination, version: o.version, env: o.env });
  const ctx = new FlowContext({ ...o, command: 'build push' }, project, io, Date.now());
  const hooks = o.skipHooks ? [] : existingHooks(project.dir, project.config.hooks.path);
  if (hooks.includes('pre-connect')) await ctx.hook('pre-connect', project.config.hosts);
  await buildStep(o, project, ctx, client, hooks);
  ctx.say(`Finished all in ${((Date.now() - ctx.started) / 1000).toFixed(1)} seconds`);
  return 0;
}

/**
 * Kamal's local registry (`localhost:PORT`) is reached from hosts through an SSH port forward; behind NAT
 * there is none, so the image goes from the operator's Docker to the controller, which streams it to each agent.
 */
async function uploadLocalImage(client: OperatorClient, project: Project, ctx: FlowContext, env: NodeJS.ProcessEnv | undefined): Promise<void> {
  const { config } = project;
  const { dockerFromEnv } = await import('./docker-client.js');
  const { docker } = dockerFromEnv(env);
  ctx.detail(`Uploading ${config.image.ref} to the controller (local registry ${config.registry.server}: the hosts load it from there)...`);
  const t0 = Date.now();
  const { bytes } = await client.uploadImage(config.service, config.version, await docker.getImage(config.image.ref).get());
  ctx.detail(`Uploaded ${(bytes / 1024 / 1024).toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

/** Prints a deployment's events (resuming after a dropped connection) and answers its hooks. */
export async function followDeployment(client: OperatorClient, deployment: DeploymentView, ctx: FlowContext): Promise<number> {
  let next = 0;
  let drops = 0;
  // Step records are printed only as JSON or, when one fails, with -v: other followers are not sent them.
  const omitSteps = !ctx.o.json && ctx.o.verbosity !== 'verbose';
  for (;;) {
    try {
      for await (const e of client.followDeployment(deployment.id, next, { omitSteps })) {
        next = e.index + 1;
        drops = 0;
        const done = await ctx.onEvent(e, deployment, client);
        if (done !== null) return done;
      }
    } catch (err) {
      if (!(err instanceof UserError) || ++drops > 30) throw err;
      ctx.detail(`${describeError(err)}; following again from event ${next}`);
      await new Promise((r) => setTimeout(r, Math.min(1000 * drops, 5000)));
    }
  }
}

/** Printing and hooks for one command run. */
export class FlowContext {
  constructor(readonly o: Pick<DeployFlowOptions, 'json' | 'verbosity' | 'selection' | 'env'> & { command: string }, readonly project: Project | null, readonly io: Output, readonly started: number) {}

  say(text: string): void {
    if (!this.o.json && this.o.verbosity !== 'quiet') this.io.out(text);
  }

  detail(text: string): void {
    if (!this.o.json && this.o.verbosity !== 'quiet') this.io.out(`  ${text}`);
  }

  /** Lines shown only with -v (Kamal's debug output: the build's own log). */
  verbose(text: string): void {
    if (!this.o.json && this.o.verbosity === 'verbose') this.io.out(`  ${text}`);
  }

  async hook(name: HookName, hosts: string[]): Promise<void> {
    const project = this.project;
    if (!project) throw new UserError(`Hook \`${name}\`: run this command in the project directory to run its hooks`);
    const { config } = project;
    // KAMAL_COMMAND and KAMAL_SUBCOMMAND: `app boot` is command app, subcommand boot.
    const [command, subcommand = null] = this.o.command.split(' ') as [string, string?];
    const env = kamalHookEnv({
      recordedAt: new Date(), performer: await performerOf(project.dir), version: config.version, service: config.service,
      destination: config.destination, hosts, roles: this.o.selection.roles.length > 0 ? this.o.selection.roles : null,
      lock: name !== 'pre-connect' && name !== 'pre-build' && name !== 'post-deploy', command, subcommand,
      ...(name === 'post-deploy' ? { runtimeSeconds: Math.round((Date.now() - this.started) / 1000) } : {}),
    });
    const level = typeof config.hooks.output === 'string' ? config.hooks.output : (config.hooks.output?.[name] ?? null);
    await runHook(name, {
      projectDir: project.dir, hooksPath: config.hooks.path, output: level, verbosity: this.o.json ? 'quiet' : this.o.verbosity,
      env: { ...(this.o.env ?? process.env) as Record<string, string>, ...env }, secrets: project.allSecrets, say: (line) => this.detail(line),
    });
  }

  /** Handles one event; returns the exit code once the deployment ended, else null. */
  async onEvent(e: IndexedEvent, deployment: DeploymentView, client: OperatorClient): Promise<number | null> {
    const event = e.event;
    if (this.o.json) this.io.out(JSON.stringify({ index: e.index, at: e.at, ...event }));
    else this.print(event);
    if (event.type === 'hook' && !event.settled) {
      let report: { ok: boolean; message: string | null };
      try {
        await this.hook(event.hook as HookName, event.hosts);
        report = { ok: true, message: null };
      } catch (err) {
        report = { ok: false, message: describeError(err) };
      }
      // Another follower may have answered first (409): the rollout took that answer.
      await client.reportHook(deployment.id, event.step, report).catch((err: unknown) => {
        if (!(err instanceof UserError) || !/not waiting for hook/.test(err.message)) throw err;
      });
    }
    if (event.type !== 'end') return null;
    if (this.o.json) {
      this.io.out(JSON.stringify({ result: { deployment: deployment.id, command: deployment.command, service: deployment.service, version: deployment.version, status: event.status, error: event.error, details: event.details, exitCode: event.exitCode, runtimeSeconds: event.runtimeSeconds, skippedHosts: deployment.skippedHosts } }));
    }
    return event.exitCode;
  }

  private print(event: DeploymentEvent): void {
    switch (event.type) {
      case 'say': return this.say(event.text);
      case 'host': return this.detail(`${event.host}: ${event.text} (${(event.elapsedMs / 1000).toFixed(1)}s)`);
      case 'step':
        if (event.status === 'failed' && this.o.verbosity === 'verbose') this.io.err(`  ${event.host ?? ''}: ${event.op} failed: ${event.error ?? ''}`);
        return;
      case 'hook': case 'hook_done': return;
      case 'end':
        if (event.status === 'succeeded') this.detail(`Finished all in ${((Date.now() - this.started) / 1000).toFixed(1)} seconds`);
        else this.io.err([`  ERROR ${event.error ?? 'the deployment failed'}`, ...event.details.map((d) => `    ${d}`)].join('\n'));
    }
  }
}
