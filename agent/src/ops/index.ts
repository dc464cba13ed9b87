import { dirname, join } from 'node:path';
import type Dockerode from 'dockerode';
import { UserError } from '@drover/shared';
import * as S from '@drover/shared/operations';
import type { z } from 'zod';
import * as accessories from './accessories.js';
import * as app from './app-lifecycle.js';
import { bootApp } from './app-boot.js';
import { probeApp } from './app-probe.js';
import { readAudit, recordAudit } from './audit.js';
import { ensureImage, pullImage } from './pull.js';
import { appContainerOptions } from './container-spec.js';
import { bareName, listContainers } from './containers.js';
import { parseDockerEnvFile, renderEnvFile } from './env-file.js';
import { execInContainer, runOneOff } from './exec.js';
import { IdempotencyStore } from './idempotency.js';
import * as images from './images.js';
import { classify, collectInventory } from './inventory.js';
import { streamLogs } from './logs.js';
import { containerHostname, containerPrefix, execContainerName, PROXY_CONTAINER, roleFilters } from './names.js';
import * as proxy from './proxy-lifecycle.js';
import { pruneAll, pruneContainers, pruneImages } from './prune.js';
import { withSecretsRedacted } from './redact-errors.js';
import type { CatalogOperation, Operation, OperationContext, OperationsDeps } from './types.js';

export type { CatalogOperation, Operation, OperationContext, OperationsDeps, Chunk } from './types.js';
export { collectInventory } from './inventory.js';

/** The implementation of catalog entry `N`: typed by its params schema's output and its result schema. */
type Run<N extends S.OperationName> = (params: z.output<(typeof S.OPERATION_CATALOG)[N]['params']>, ctx: OperationContext) => Promise<S.OperationResult<N>>;
/** One implementation per catalog name: a missing (or extra) operation is a compile error. */
type Runs = { [N in S.OperationName]: Run<N> };
type Ops = { [N in S.OperationName]: CatalogOperation<N> };

/**
 * Mutating operations that are not run again after an interruption (the agent stopped while they ran): each
 * builds a new container and gates on its health, renaming or replacing what ran before, so a half-done one
 * needs a person to look. A retry with the same operation id is answered `operation_interrupted`. Every
 * other mutating operation converges on a state (started, stopped, removed, pulled, pruned): it reads Docker
 * first and changes only what differs, so running it again is the check against Docker. `proxy.boot` is one
 * of those (Kamal's `docker container start kamal-proxy || docker run …`: it replaces nothing), and on every
 * deploy's path, where a durable intent record would cost two fsyncs per host for a proxy already running.
 */
export const NOT_RERUN_AFTER_INTERRUPTION: ReadonlySet<S.OperationName> = new Set(['app.boot', 'proxy.reboot', 'accessory.boot', 'accessory.reboot']);

export function rerunAfterInterruption(method: string): boolean {
  return !NOT_RERUN_AFTER_INTERRUPTION.has(method as S.OperationName);
}

/**
 * Operations that start reading Docker while their durable intent record is being written, and await it
 * (`OperationContext.intentDurable`) before their first change: a boot's reads (container by name, running
 * version, network) then hide its two fsyncs, which a busy host's disk takes milliseconds over.
 */
export const READS_BEFORE_INTENT: ReadonlySet<S.OperationName> = new Set(['app.boot']);

/**
 * The agent's container and kamal-proxy operations, by RPC method name: params schema, mutates and stream
 * mode come from `OPERATION_CATALOG`. Mutating operations are journaled by operation id before and after
 * they run (a retry returns the recorded outcome; one cut off by the agent stopping is recovered at start)
 * under `<run dir>/drover-agent/operations`.
 */
export function createOperations(deps: OperationsDeps): Record<string, Operation> {
  const store = new IdempotencyStore(join(deps.runDirectory, 'drover-agent', 'operations'), {
    log: deps.log, rerunAfterInterruption, readsBeforeIntent: (method) => READS_BEFORE_INTENT.has(method as S.OperationName),
  });
  store.recover();
  store.sweep();

  const runs: Runs = {
    'registry.login': (p) => images.login(deps, p),
    'image.pull': (p, ctx) => images.pull(deps, p, ctx.emit, ctx.signal),
    'image.load': (p, ctx) => {
      if (!ctx.stdin) throw new UserError('image.load needs the image archive as its input stream');
      return images.load(deps, p, ctx.stdin, ctx.signal);
    },
    'image.tag': (p) => images.tag(deps, p),

    'app.boot': (p, ctx) => bootApp(deps, p, ctx),
    'app.stale_containers': (p) => app.staleContainers(deps, p),
    'app.start': (p) => app.startApp(deps, p),
    'app.stop': (p) => app.stopApp(deps, p),
    'app.remove': (p) => app.removeApp(deps, p),
    'app.maintenance': (p) => app.maintenance(deps, p),
    'app.live': (p) => app.live(deps, p),
    'app.proxy_remove': (p) => app.proxyRemoveRole(deps, p),
    'app.exec': (p, ctx) => appExec(deps, p, ctx),
    'app.probe': (p) => probeApp(deps.docker, p),

    'proxy.boot': (p, ctx) => proxy.bootProxy(deps, p, ctx.emit),
    'proxy.reboot': (p, ctx) => proxy.rebootProxy(deps, p, ctx.emit),
    'proxy.start': () => proxy.startProxy(deps),
    'proxy.stop': (p) => proxy.stopProxy(deps, p),
    'proxy.details': () => proxy.proxyDetails(deps),
    'proxy.logs': async (p, ctx) => ({ container: PROXY_CONTAINER, lines: await streamLogs(deps.docker, PROXY_CONTAINER, p, deps.host, ctx.emit, ctx.signal) }),
    'proxy.remove': (p) => proxy.removeProxy(deps, p),

    'accessory.boot': (p, ctx) => accessories.bootAccessory(deps, p, ctx.emit),
    'accessory.reboot': async (p, ctx) => {
      // Kamal pulls before it stops anything: a newer image under the same tag, and a failed pull leaves the accessory up.
      await pullImage(deps.docker, p.image, p.registry, deps.host, ctx.emit, ctx.signal);
      await accessories.removeAccessory(deps, { ...p, proxied: p.proxy !== null, removeImage: null, removePaths: [] });
      return accessories.bootAccessory(deps, p, ctx.emit);
    },
    'accessory.start': (p) => accessories.startAccessory(deps, p),
    'accessory.stop': (p) => accessories.stopAccessory(deps, p),
    'accessory.restart': async (p) => {
      const stopped = await accessories.stopAccessory(deps, p);
      const started = await accessories.startAccessory(deps, p);
      return { containers: started.containers, messages: [...stopped.messages, ...started.messages] };
    },
    'accessory.remove': (p) => accessories.removeAccessory(deps, p),
    'accessory.details': (p) => accessories.accessoryDetails(deps, p),
    'accessory.logs': async (p, ctx) => ({ container: p.accessoryService, lines: await streamLogs(deps.docker, p.accessoryService, p, deps.host, ctx.emit, ctx.signal) }),
    'accessory.exec': async (p, ctx) => {
      if (p.audit) await recordAudit(deps.runDirectory, p, p.audit);
      if (p.reuse) return { container: p.accessoryService, exitCode: await execInContainer(deps.docker, p.accessoryService, p.command, [], p, deps.host, ctx) };
      const create = await accessories.accessoryExecCreate(deps, p);
      return { container: create.name!, exitCode: await runOneOff(deps.docker, create, { ...p, detach: false }, deps.host, ctx) };
    },

    'containers.logs': async (p, ctx) => {
      const container = p.container ?? (await roleContainer(deps.docker, p));
      return { container, lines: await streamLogs(deps.docker, container, p, deps.host, ctx.emit, ctx.signal) };
    },
    'containers.list': async (p) => {
      const label = [`service=${p.service}`, `destination=${p.destination ?? ''}`, ...(p.role ? [`role=${p.role}`] : [])];
      const list = await listContainers(deps.docker, { label });
      return { containers: list.map(classify).filter((c) => c !== null) };
    },
    'images.list': async (p) => {
      const list = await deps.docker.listImages({ filters: JSON.stringify({ label: [`service=${p.service}`] }) });
      return { images: list.map((i) => ({ id: i.Id, tags: i.RepoTags ?? [], created: i.Created, size: i.Size })) };
    },
    'prune.containers': (p) => pruneContainers(deps, p),
    'prune.images': (p) => pruneImages(deps, p),
    'prune.all': (p) => pruneAll(deps, p),
    inventory: () => collectInventory(deps.docker, deps.host),
    'audit.read': (p) => readAudit(deps.runDirectory, p.service, p.destination, p.lines),
  };

  /** Catalog entry `method` served by its implementation: redacted errors, and idempotency when it mutates. */
  function op<N extends S.OperationName>(method: N): CatalogOperation<N> {
    const spec = S.OPERATION_CATALOG[method];
    const run: Run<N> = runs[method];
    return {
      params: spec.params,
      mutates: spec.mutates,
      stream: spec.stream,
      run: (p, ctx) => {
        const guarded = (intentDurable?: Promise<void>) => withSecretsRedacted(p, () => run(p, intentDurable ? { ...ctx, intentDurable } : ctx));
        return spec.mutates ? store.run(ctx.operationId, method, p, guarded) : guarded();
      },
    };
  }

  const ops = Object.fromEntries(S.OPERATION_NAMES.map((method) => [method, op(method)])) as Ops;
  return ops;
}

/** Validates raw params with the operation's schema, then runs it (what the RPC layer does). */
export async function runOperation(ops: Record<string, Operation>, method: string, raw: unknown, ctx: OperationContext): Promise<unknown> {
  const operation = ops[method];
  if (!operation) throw new UserError(`unknown operation ${method}`);
  const parsed = operation.params.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`${method}: ${issue?.path.join('.') || 'params'}: ${issue?.message ?? 'invalid'}`);
  }
  return operation.run(parsed.data, ctx);
}

/** Kamal's `app logs` target: the role's newest running container, else its newest container. */
async function roleContainer(docker: Dockerode, p: { service: string | null; role: string | null; destination: string | null }): Promise<string> {
  if (!p.service || !p.role) throw new UserError('containers.logs: give a container, or a service and role');
  const filters = roleFilters(p.service, p.role, p.destination);
  const [running] = await listContainers(docker, { ...filters, status: ['running'] }, false);
  const [any] = running ? [running] : await listContainers(docker, filters);
  if (!any) throw new UserError(`no ${containerPrefix(p.service, p.role, p.destination)} container on this host`);
  return bareName(any);
}

/** `kamal app exec`: `--reuse` runs in the role's running container, otherwise in a new one-off container. */
async function appExec(deps: OperationsDeps, p: z.output<typeof S.appExecParams>, ctx: OperationContext) {
  const prefix = containerPrefix(p.service, p.role, p.destination);
  const extraEnv = Object.entries(p.env).map(([k, v]) => `${k}=${v}`);
  if (p.audit) await recordAudit(deps.runDirectory, p, p.audit);
  if (p.reuse) {
    const container = await roleContainer(deps.docker, p);
    return { container, exitCode: await execInContainer(deps.docker, container, p.command, extraEnv, p, deps.host, ctx) };
  }
  const name = execContainerName(prefix, p.version);
  const hostEnv = deps.hostEnv ?? process.env;
  const host = p.host ?? deps.host;
  const create = appContainerOptions({
    name, image: p.image, hostname: containerHostname(host), version: p.version, host, destination: p.destination, env: p.roleEnv,
    envFileEntries: parseDockerEnvFile(renderEnvFile(p.roleEnv.secrets), hostEnv, 'role env'), labels: {},
    restartPolicy: 'no', logging: p.logging, volumes: p.volumes, assetVolume: null, options: p.options, cmd: p.command,
    home: dirname(deps.runDirectory), hostEnv,
  });
  create.Env = [...(create.Env ?? []).filter((e) => !e.startsWith('KAMAL_')), ...extraEnv];
  delete create.Hostname;
  // Quietly: the exec's output is the command's own (`--raw` promises its bytes alone).
  await ensureImage(deps.docker, p.image, p.registry, deps.host, () => undefined);
  return { container: name, exitCode: await runOneOff(deps.docker, create, p, deps.host, ctx) };
}
