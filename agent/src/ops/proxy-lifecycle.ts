import { UserError } from '@drover/shared';
import { readdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import type { proxyBootParams, proxyRemoveParams, proxyStopParams, ProxyRun, RegistryAuth } from '@drover/shared/operations';
import { recordAudit } from './audit.js';
import { createNetwork, ensureNetwork, logTail, networkExists, removeContainer, startContainer, stopContainer } from './containers.js';
import { dockerFailure, isNotFound } from './docker-errors.js';
import { parseDockerFlags } from './docker-options.js';
import { makeDirectory, removePath } from './host-files.js';
import { hostPaths, MINIMUM_PROXY_VERSION, PROXY_CONTAINER } from './names.js';
import { checkProxyVersion, imageTagVersion, LEGACY_DEFAULT_IMAGE, LEGACY_DEFAULT_OPTIONS, legacyProxyContainerOptions, proxyContainerOptions } from './proxy-spec.js';
import { ensureImage } from './pull.js';
import { execCapture } from './exec-capture.js';
import type { Chunk, OperationsDeps } from './types.js';

type BootParams = z.output<typeof proxyBootParams>;

async function readOptional(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Kamal's legacy boot config: `.kamal/proxy/{options,image,image_version,run_command}` with defaults. */
async function legacyCreate(runDir: string) {
  const dir = hostPaths.proxyDir(runDir);
  const options = (await readOptional(`${dir}/options`)) || LEGACY_DEFAULT_OPTIONS;
  const image = (await readOptional(`${dir}/image`)) || LEGACY_DEFAULT_IMAGE;
  const version = (await readOptional(`${dir}/image_version`)) || MINIMUM_PROXY_VERSION;
  const runCommand = (await readOptional(`${dir}/run_command`)) || null;
  return legacyProxyContainerOptions({ options: parseDockerFlags(options), image: `${image}:${version}`, runCommand: runCommand ? runCommand.split(/\s+/) : null }, hostPaths.proxyAppsConfig(runDir), dirname(runDir));
}

async function runProxy(deps: OperationsDeps, run: ProxyRun | null, registry: RegistryAuth | null, emit: (c: Chunk) => void | Promise<void>) {
  const create = run ? proxyContainerOptions(run, hostPaths.proxyAppsConfig(deps.runDirectory), dirname(deps.runDirectory)) : await legacyCreate(deps.runDirectory);
  await ensureImage(deps.docker, create.Image!, registry, deps.host, emit);
  try {
    const container = await deps.docker.createContainer(create);
    await container.start();
    return { id: container.id, image: create.Image! };
  } catch (e) {
    throw dockerFailure(`docker run --name ${PROXY_CONTAINER}`, deps.host, e);
  }
}

/** How long a freshly started kamal-proxy may take to answer on its control socket. */
const PROXY_READY_MS = 30_000;

/**
 * Waits until a proxy that was just started answers `kamal-proxy list`, so the deploy that follows does not
 * race its control socket (a proxy that exits or never answers fails here, with its last log lines).
 */
async function awaitProxyReady(deps: OperationsDeps): Promise<void> {
  const deadline = Date.now() + PROXY_READY_MS;
  let last = '';
  for (;;) {
    const state = await deps.docker.getContainer(PROXY_CONTAINER).inspect().then((i) => i.State, () => null);
    if (state && !state.Running) last = `the container ${state.Status} (exit code ${state.ExitCode})`;
    else {
      const r = await execCapture(deps.docker, PROXY_CONTAINER, ['kamal-proxy', 'list']).catch((e: Error) => ({ exitCode: -1, stdout: '', stderr: e.message }));
      if (r.exitCode === 0) return;
      last = (r.stderr || r.stdout).trim();
    }
    if (Date.now() >= deadline || (state && !state.Running && !state.Restarting)) {
      const logs = await logTail(deps.docker, PROXY_CONTAINER, 20);
      throw new UserError(`kamal-proxy on ${deps.host} did not become ready within ${PROXY_READY_MS / 1000}s: ${last}`, { details: ['last log lines of kamal-proxy:', ...logs.map((l) => `  ${l}`)] });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `kamal proxy boot` on this host: network, minimum-version check of an existing proxy,
 * apps-config directory, then `docker container start kamal-proxy || docker run …`.
 */
export async function bootProxy(deps: OperationsDeps, p: BootParams, emit: (c: Chunk) => void | Promise<void>) {
  const [hasNetwork, existing] = await Promise.all([
    networkExists(deps.docker),
    deps.docker.getContainer(PROXY_CONTAINER).inspect().catch((e: unknown) => (isNotFound(e) ? null : Promise.reject(e))),
  ]);
  if (existing) checkProxyVersion(existing.Config.Image);
  if (!hasNetwork) await createNetwork(deps.docker);
  await makeDirectory(hostPaths.proxyAppsConfig(deps.runDirectory), 'the kamal-proxy apps-config directory');
  if (existing) {
    if (existing.State.Running) return { container: { id: existing.Id, name: PROXY_CONTAINER as 'kamal-proxy' }, image: existing.Config.Image, action: 'running' as const, messages: [] };
    try {
      await startContainer(deps.docker, existing.Id);
    } catch (e) {
      throw dockerFailure('docker container start kamal-proxy', deps.host, e);
    }
    deps.onChange?.();
    await awaitProxyReady(deps);
    return { container: { id: existing.Id, name: PROXY_CONTAINER as 'kamal-proxy' }, image: existing.Config.Image, action: 'started' as const, messages: [] };
  }
  const { id, image } = await runProxy(deps, p.run, p.registry, emit);
  deps.onChange?.();
  await awaitProxyReady(deps);
  return { container: { id, name: PROXY_CONTAINER as 'kamal-proxy' }, image, action: 'created' as const, messages: [] };
}

/** `kamal proxy reboot`: stop, remove, apps-config directory, run with the current settings (no version check). */
export async function rebootProxy(deps: OperationsDeps, p: BootParams, emit: (c: Chunk) => void | Promise<void>) {
  await recordAudit(deps.runDirectory, p, `Rebooted proxy on ${deps.host}`);
  await ensureNetwork(deps.docker);
  await stopContainer(deps.docker, PROXY_CONTAINER, null);
  await removeContainer(deps.docker, PROXY_CONTAINER);
  await makeDirectory(hostPaths.proxyAppsConfig(deps.runDirectory), 'the kamal-proxy apps-config directory');
  const { id, image } = await runProxy(deps, p.run, p.registry, emit);
  deps.onChange?.();
  await awaitProxyReady(deps);
  return { container: { id, name: PROXY_CONTAINER as 'kamal-proxy' }, image, action: 'created' as const, messages: [`Rebooted kamal-proxy on ${deps.host}`] };
}

export async function startProxy(deps: OperationsDeps) {
  try {
    await startContainer(deps.docker, PROXY_CONTAINER);
  } catch (e) {
    throw dockerFailure('docker container start kamal-proxy', deps.host, e);
  }
  deps.onChange?.();
  return { containers: [PROXY_CONTAINER], messages: [] };
}

/** Kamal ignores a failed `docker container stop kamal-proxy`: a host without the container is left as it is. */
export async function stopProxy(deps: OperationsDeps, p: z.output<typeof proxyStopParams>) {
  try {
    await deps.docker.getContainer(PROXY_CONTAINER).inspect();
  } catch (e) {
    if (isNotFound(e)) return { containers: [], messages: [`no kamal-proxy container on ${deps.host}`] };
    throw dockerFailure('docker container inspect kamal-proxy', deps.host, e);
  }
  try {
    await stopContainer(deps.docker, PROXY_CONTAINER, p.stopTimeout);
  } catch (e) {
    throw dockerFailure('docker container stop kamal-proxy', deps.host, e);
  }
  deps.onChange?.();
  return { containers: [PROXY_CONTAINER], messages: [] };
}

/** `docker ps --filter name=^kamal-proxy$`, as structured data. */
export async function proxyDetails(deps: OperationsDeps) {
  const [c] = await deps.docker.listContainers({ all: true, filters: JSON.stringify({ name: ['^kamal-proxy$'] }) });
  if (!c) return { present: false, id: null, image: null, version: null, state: null, status: null, ports: [] };
  return {
    present: true, id: c.Id, image: c.Image, version: imageTagVersion(c.Image), state: c.State, status: c.Status,
    ports: c.Ports.filter((port) => port.PublicPort).map((port) => `${port.IP ?? ''}:${port.PublicPort}->${port.PrivatePort}/${port.Type}`),
  };
}

const PROXY_TITLE = 'org.opencontainers.image.title=kamal-proxy';

/**
 * `kamal proxy remove`: stop, remove the container (by name, and Kamal's prune by image title),
 * prune the proxy images, `rm -r .kamal/proxy`.
 */
export async function removeProxy(deps: OperationsDeps, p: z.output<typeof proxyRemoveParams>) {
  if (p.onlyWithoutApps) {
    const apps = await readdir(`${deps.runDirectory}/apps`).catch(() => [] as string[]);
    if (apps.length > 0) return { containers: [], messages: [`kamal-proxy kept on ${deps.host}: still used by ${apps.sort().join(', ')}`] };
  }
  await recordAudit(deps.runDirectory, p, `Removed proxy on ${deps.host}`);
  const image = await deps.docker.getContainer(PROXY_CONTAINER).inspect().then((i) => i.Image, () => null);
  await stopContainer(deps.docker, PROXY_CONTAINER, null);
  await removeContainer(deps.docker, PROXY_CONTAINER);
  await deps.docker.pruneContainers({ filters: JSON.stringify({ label: [PROXY_TITLE] }) });
  if (p.removeImages) {
    await deps.docker.pruneImages({ filters: JSON.stringify({ label: [PROXY_TITLE], dangling: ['false'] }) });
    if (image) await deps.docker.getImage(image).remove().catch(() => undefined);
  }
  if (p.removeProxyDirectory) await removePath(hostPaths.proxyDir(deps.runDirectory));
  deps.onChange?.();
  return { containers: [PROXY_CONTAINER], messages: [] };
}
