import { chmod } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '@drover/shared';
import type { z } from 'zod';
import type Dockerode from 'dockerode';
import type { accessoryBootParams, accessoryExecParams, accessoryRemoveParams, accessorySimpleParams } from '@drover/shared/operations';
import { placeTls } from './proxy-tls.js';
import { recordAudit } from './audit.js';
import { accessoryContainerOptions, accessoryExecContainerOptions } from './container-spec.js';
import { ensureNetwork, removeContainer, startContainer, stopContainer } from './containers.js';
import { daemonMessage, dockerFailure, isNotFound } from './docker-errors.js';
import { parseDockerEnvFile, renderEnvFile } from './env-file.js';
import { kamalProxy } from './exec-capture.js';
import { applyOwner, homePath, makeDirectory, removeAccessoryPaths, removePath, writeHostFile } from './host-files.js';
import { execContainerName, hostPaths, serviceAndDestination } from './names.js';
import { ensureImage } from './pull.js';
import type { Chunk, OperationsDeps } from './types.js';

type BootParams = z.output<typeof accessoryBootParams>;
type ExecParams = z.output<typeof accessoryExecParams>;
type Scope = { service: string; destination: string | null; performer: string; name: string; accessoryService: string };

function mountOf(hostPath: string, remote: string, options: string | null): string {
  return `${hostPath}:${remote}${options ? `:${options}` : ''}`;
}

async function exists(deps: OperationsDeps, name: string) {
  return deps.docker.getContainer(name).inspect().catch((e: unknown) => (isNotFound(e) ? null : Promise.reject(e)));
}

/** The volume entries of the accessory's files and directories, files first (Kamal's order). */
function mountsOf(home: string, entries: { hostPath: string; remote: string; options: string | null }[]): string[] {
  return entries.map((e) => mountOf(homePath(home, e.hostPath), e.remote, e.options));
}

/** Files (content from the controller, mode, owner) and directories (mode, owner), then their volume entries. */
async function placeFilesAndDirectories(deps: OperationsDeps, p: BootParams): Promise<string[]> {
  const home = dirname(deps.runDirectory);
  for (const f of p.files) {
    const path = homePath(home, f.hostPath);
    await writeHostFile(path, f.content, parseInt(f.mode, 8), `accessory ${p.name} file`);
    await applyOwner(path, f.owner);
  }
  for (const d of p.directories) {
    const path = homePath(home, d.hostPath);
    await makeDirectory(path, `accessory ${p.name} directory`);
    if (d.mode) await chmod(path, parseInt(d.mode, 8));
    await applyOwner(path, d.owner);
  }
  return mountsOf(home, [...p.files, ...p.directories]);
}

/**
 * `kamal accessory exec` without `--reuse`: a new container of the accessory's image with its network, env
 * and volumes (the files and directories its boot placed), removed when the command ends.
 */
export async function accessoryExecCreate(deps: OperationsDeps, p: ExecParams): Promise<Dockerode.ContainerCreateOptions> {
  const c = p.container;
  if (!c) throw new UserError(`accessory ${p.name}: a new exec container needs the accessory's image and env (or use --reuse)`);
  const home = dirname(deps.runDirectory);
  const hostEnv = deps.hostEnv ?? process.env;
  const create = accessoryExecContainerOptions({
    name: execContainerName(p.accessoryService, 'accessory'), image: c.image, host: c.host ?? deps.host, env: c.env,
    envFileEntries: parseDockerEnvFile(renderEnvFile(c.env.secrets), hostEnv, `accessory ${p.name} env`), network: c.network,
    volumes: [...c.volumes, ...mountsOf(home, c.mounts)], cmd: p.command, home, hostEnv,
  });
  await ensureImage(deps.docker, c.image, c.registry, deps.host, () => undefined);
  return create;
}

/**
 * `kamal accessory boot`: skipped with Kamal's message when the container exists; otherwise files,
 * directories, env file, `docker run`, and `kamal-proxy deploy` for a proxied accessory.
 */
export async function bootAccessory(deps: OperationsDeps, p: BootParams, emit: (c: Chunk) => void | Promise<void>) {
  const name = p.accessoryService;
  const host = p.host ?? deps.host;
  if (await exists(deps, name)) {
    const message = `Skipping booting \`${p.name}\` on ${host}, a container already exists`;
    await emit(`${message}\n`);
    return { container: name, id: null, action: 'skipped' as const, messages: [message] };
  }
  await recordAudit(deps.runDirectory, p, `Booted ${p.name} accessory`);
  if (p.network === 'kamal') await ensureNetwork(deps.docker);
  const fileVolumes = await placeFilesAndDirectories(deps, p);
  const svcDest = serviceAndDestination(p.service, p.destination);
  const envFile = hostPaths.accessoryEnvFile(deps.runDirectory, svcDest, p.name);
  const envText = renderEnvFile(p.env.secrets);
  await writeHostFile(envFile, envText, 0o600, 'env file');
  const hostEnv = deps.hostEnv ?? process.env;
  const create = accessoryContainerOptions({
    name, image: p.image, host, env: p.env, envFileEntries: parseDockerEnvFile(envText, hostEnv, envFile), labels: p.labels,
    restartPolicy: p.restartPolicy, network: p.network, logging: p.logging, publish: p.publish,
    volumes: [...p.volumes, ...fileVolumes], options: p.options, cmd: p.cmd, home: dirname(deps.runDirectory), hostEnv,
  });
  await ensureImage(deps.docker, p.image, p.registry, deps.host, emit);
  let id: string;
  try {
    const container = await deps.docker.createContainer(create);
    id = container.id;
    await container.start();
  } catch (e) {
    throw new UserError(`docker run --name ${name} failed on ${host}: ${daemonMessage(e)}`, { cause: e });
  }
  const messages: string[] = [];
  if (p.proxy) {
    if (p.proxy.tls) await placeTls(deps, svcDest, null, p.proxy.tls);
    await emit(`Deploying ${name} to kamal-proxy (target ${id.slice(0, 12)}:${p.proxy.appPort})...\n`);
    messages.push(await deployToProxy(deps, name, id, p.proxy));
  }
  deps.onChange?.();
  return { container: name, id, action: 'created' as const, messages };
}

export async function startAccessory(deps: OperationsDeps, p: z.output<typeof accessorySimpleParams>) {
  await recordAudit(deps.runDirectory, p, `Started ${p.name} accessory`);
  try {
    await startContainer(deps.docker, p.accessoryService);
  } catch (e) {
    throw dockerFailure(`docker container start ${p.accessoryService}`, deps.host, e);
  }
  const messages: string[] = [];
  if (p.proxy) messages.push(await deployToProxy(deps, p.accessoryService, (await deps.docker.getContainer(p.accessoryService).inspect()).Id, p.proxy));
  deps.onChange?.();
  return { containers: [p.accessoryService], messages };
}

/** `docker exec kamal-proxy kamal-proxy deploy <acc-service> --target=<12-hex id>:<port> …args` (Kamal's accessory proxy). */
async function deployToProxy(deps: OperationsDeps, name: string, id: string, proxy: { appPort: number; args: string[] }): Promise<string> {
  await kamalProxy(deps.docker, deps.host, ['deploy', name, `--target=${id.slice(0, 12)}:${proxy.appPort}`, ...proxy.args]);
  return `Deployed ${name} to kamal-proxy`;
}

/** Proxied accessories are removed from kamal-proxy first (errors ignored), as Kamal does. */
export async function stopAccessory(deps: OperationsDeps, p: z.output<typeof accessorySimpleParams>) {
  await recordAudit(deps.runDirectory, p, `Stopped ${p.name} accessory`);
  const messages: string[] = [];
  if (p.proxied || p.proxy) await kamalProxy(deps.docker, deps.host, ['remove', p.accessoryService]).catch((e: Error) => messages.push(e.message));
  try {
    await deps.docker.getContainer(p.accessoryService).inspect();
    await stopContainer(deps.docker, p.accessoryService, p.stopTimeout);
  } catch (e) {
    throw dockerFailure(`docker container stop ${p.accessoryService}`, deps.host, e);
  }
  deps.onChange?.();
  return { containers: [p.accessoryService], messages };
}

export async function removeAccessory(deps: OperationsDeps, p: z.output<typeof accessoryRemoveParams>) {
  await recordAudit(deps.runDirectory, p, `Removed ${p.name} accessory`);
  if (p.proxied) await kamalProxy(deps.docker, deps.host, ['remove', p.accessoryService]).catch(() => undefined);
  await stopContainer(deps.docker, p.accessoryService, null);
  await removeContainer(deps.docker, p.accessoryService);
  if (p.removeImage) await deps.docker.getImage(p.removeImage).remove().catch(() => undefined);
  const home = dirname(deps.runDirectory);
  await removeAccessoryPaths(home, p.accessoryService, p.removePaths);
  const svcDest = serviceAndDestination(p.service, p.destination);
  await removePath(hostPaths.accessoryEnvFile(deps.runDirectory, svcDest, p.name));
  deps.onChange?.();
  return { containers: [p.accessoryService], messages: [] };
}

export async function accessoryDetails(deps: OperationsDeps, p: Scope) {
  const [c] = await deps.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`service=${p.accessoryService}`] }) });
  if (!c) return { present: false, id: null, image: null, state: null, status: null, ports: [] };
  return { present: true, id: c.Id, image: c.Image, state: c.State, status: c.Status, ports: c.Ports.filter((x) => x.PublicPort).map((x) => `${x.IP ?? ''}:${x.PublicPort}->${x.PrivatePort}/${x.Type}`) };
}
