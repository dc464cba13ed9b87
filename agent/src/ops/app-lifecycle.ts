import { UserError } from '@drover/shared';
import type { z } from 'zod';
import type { appLiveParams, appMaintenanceParams, appProxyRemoveParams, appRemoveParams, appStaleParams, appStartParams, appStopParams } from '@drover/shared/operations';
import { recordAudit } from './audit.js';
import { bareName, containerIdByName, currentRunningVersion, listContainers, startContainer, stopContainer } from './containers.js';
import { dockerFailure } from './docker-errors.js';
import { kamalProxy } from './exec-capture.js';
import { removePath } from './host-files.js';
import { appContainerName, containerPrefix, hostPaths, roleFilters, serviceAndDestination, versionFromName } from './names.js';
import type { OperationsDeps } from './types.js';

function scopeOf(p: { service: string; role: string; destination: string | null }) {
  return { prefix: containerPrefix(p.service, p.role, p.destination), filters: roleFilters(p.service, p.role, p.destination) };
}

function tagsOf(p: { service: string; role: string; destination: string | null; performer: string }) {
  return { service: p.service, destination: p.destination, performer: p.performer, role: p.role };
}

/** Kamal's stale_containers: running versions of the role other than the current running one. */
export async function staleContainers(deps: OperationsDeps, p: z.output<typeof appStaleParams>) {
  const { prefix, filters } = scopeOf(p);
  const [running, current] = await Promise.all([
    listContainers(deps.docker, { ...filters, status: ['running'] }, false),
    currentRunningVersion(deps.docker, { ...p, prefix, latestImage: p.latestImage }),
  ]);
  const stale = running.filter((c) => versionFromName(bareName(c), prefix) !== current);
  const stopped: string[] = [];
  if (p.stop) {
    for (const c of stale) {
      await stopContainer(deps.docker, c.Id, p.stopTimeout);
      stopped.push(bareName(c));
    }
    if (stopped.length > 0) deps.onChange?.();
  }
  return { containers: stale.map(bareName), stopped };
}

/** `kamal app start`: `docker start <prefix>-<version>`; proxied roles are deployed to kamal-proxy again. */
export async function startApp(deps: OperationsDeps, p: z.output<typeof appStartParams>) {
  const { prefix } = scopeOf(p);
  const name = appContainerName(prefix, p.version);
  await recordAudit(deps.runDirectory, tagsOf(p), `Started app version ${p.version}`);
  try {
    await startContainer(deps.docker, name);
  } catch (e) {
    throw dockerFailure(`docker start ${name}`, deps.host, e);
  }
  const messages: string[] = [];
  if (p.proxy) {
    const version = await currentRunningVersion(deps.docker, { ...p, prefix, latestImage: p.latestImage });
    const id = version ? await containerIdByName(deps.docker, appContainerName(prefix, version)) : null;
    if (!id) throw new UserError(`Failed to get endpoint for ${p.role} on ${deps.host}, did the container boot?`);
    await kamalProxy(deps.docker, deps.host, ['deploy', prefix, `--target=${id.slice(0, 12)}:${p.proxy.appPort}`, ...p.proxy.args]);
    messages.push(`Deployed ${prefix} to kamal-proxy`);
  }
  deps.onChange?.();
  return { containers: [name], messages };
}

/** Kamal's app stop: `kamal-proxy remove` (errors ignored) for proxied roles, then stop the latest running container. */
export async function stopApp(deps: OperationsDeps, p: z.output<typeof appStopParams>) {
  const { prefix, filters } = scopeOf(p);
  await recordAudit(deps.runDirectory, tagsOf(p), 'Stopped app');
  const messages: string[] = [];
  if (p.proxied) await kamalProxy(deps.docker, deps.host, ['remove', prefix]).catch((e: Error) => messages.push(e.message));
  const [latest] = await listContainers(deps.docker, { ...filters, status: ['running'] }, false);
  if (latest) await stopContainer(deps.docker, latest.Id, p.stopTimeout);
  deps.onChange?.();
  return { containers: latest ? [bareName(latest)] : [], messages };
}

/** Kamal's app remove: stop, prune the role's stopped containers, prune the service's images, remove the app directories. */
export async function removeApp(deps: OperationsDeps, p: z.output<typeof appRemoveParams>) {
  const { filters } = scopeOf(p);
  const stop = await stopApp(deps, { ...p });
  await recordAudit(deps.runDirectory, tagsOf(p), 'Removed app container');
  const pruned = (await deps.docker.pruneContainers({ filters: JSON.stringify(filters) })) as { ContainersDeleted?: string[] | null };
  if (p.removeImages) {
    await recordAudit(deps.runDirectory, tagsOf(p), 'Removed all app images');
    await deps.docker.pruneImages({ filters: JSON.stringify({ label: [`service=${p.service}`], dangling: ['false'] }) });
  }
  if (p.removeAppDirectory) {
    const svcDest = serviceAndDestination(p.service, p.destination);
    await removePath(hostPaths.appDir(deps.runDirectory, svcDest));
    await removePath(`${hostPaths.proxyAppsConfig(deps.runDirectory)}/${svcDest}`);
  }
  deps.onChange?.();
  return { containers: pruned.ContainersDeleted ?? [], messages: stop.messages };
}

/** `kamal app maintenance`: `kamal-proxy stop <prefix> [--drain-timeout="Ns"] [--message="…"]`. */
export async function maintenance(deps: OperationsDeps, p: z.output<typeof appMaintenanceParams>) {
  const { prefix } = scopeOf(p);
  await recordAudit(deps.runDirectory, tagsOf(p), 'Set app to maintenance mode');
  const args = ['stop', prefix];
  if (p.drainTimeout !== null) args.push(`--drain-timeout=${p.drainTimeout}s`);
  if (p.message !== null) args.push(`--message=${p.message}`);
  await kamalProxy(deps.docker, deps.host, args);
  return { containers: [], messages: [`${prefix} is in maintenance mode`] };
}

/** `kamal app live`: `kamal-proxy resume <prefix>`. */
export async function live(deps: OperationsDeps, p: z.output<typeof appLiveParams>) {
  const { prefix } = scopeOf(p);
  await recordAudit(deps.runDirectory, tagsOf(p), 'Set app to live mode');
  await kamalProxy(deps.docker, deps.host, ['resume', prefix]);
  return { containers: [], messages: [`${prefix} is live`] };
}

/** Removing a role from the proxy: `kamal-proxy remove <prefix>`. */
export async function proxyRemoveRole(deps: OperationsDeps, p: z.output<typeof appProxyRemoveParams>) {
  const { prefix } = scopeOf(p);
  await recordAudit(deps.runDirectory, tagsOf(p), `Removed ${prefix} from kamal-proxy`);
  await kamalProxy(deps.docker, deps.host, ['remove', prefix]);
  return { containers: [], messages: [`${prefix} removed from kamal-proxy`] };
}
