import type Dockerode from 'dockerode';
import { daemonMessage, isConflict, isNotFound, isNotModified } from './docker-errors.js';
import { exactName, KAMAL_NETWORK, roleFilters, versionFromName } from './names.js';

export type ContainerSummary = Dockerode.ContainerInfo;

/** Whether the network exists (Docker allows duplicate names, so a create alone does not tell). */
export async function networkExists(docker: Dockerode, name = KAMAL_NETWORK): Promise<boolean> {
  const existing = await docker.listNetworks({ filters: JSON.stringify({ name: [name] }) });
  return existing.some((n) => n.Name === name);
}

/** `docker network create kamal`, ignoring "already exists". */
export async function createNetwork(docker: Dockerode, name = KAMAL_NETWORK): Promise<void> {
  try {
    await docker.createNetwork({ Name: name, CheckDuplicate: true });
  } catch (e) {
    if (isConflict(e) || /already exists/.test(daemonMessage(e))) return;
    throw e;
  }
}

export async function ensureNetwork(docker: Dockerode, name = KAMAL_NETWORK): Promise<void> {
  if (!(await networkExists(docker, name))) await createNetwork(docker, name);
}

export function bareName(c: ContainerSummary): string {
  return (c.Names[0] ?? '').replace(/^\//, '');
}

/** Newest first, as `docker ps` lists. */
export async function listContainers(docker: Dockerode, filters: Record<string, string[]>, all = true): Promise<ContainerSummary[]> {
  const list = await docker.listContainers({ all, filters: JSON.stringify(filters) });
  return list.sort((a, b) => b.Created - a.Created);
}

/** `docker container ls --all --filter name=^NAME$ --quiet` */
export async function containerIdByName(docker: Dockerode, name: string): Promise<string | null> {
  const found = await listContainers(docker, { name: [exactName(name)] });
  return found.find((c) => bareName(c) === name)?.Id ?? null;
}

/**
 * Kamal's current_running_version: the newest running/restarting container of the role, preferring one
 * whose image is the `latest` tag; its name minus `<prefix>-`.
 */
export async function currentRunningVersion(docker: Dockerode, scope: { service: string; role: string; destination: string | null; prefix: string; latestImage: string | null }): Promise<string | null> {
  const filters = { ...roleFilters(scope.service, scope.role, scope.destination), status: ['running', 'restarting'] };
  const [running, latestId] = await Promise.all([
    listContainers(docker, filters, true),
    scope.latestImage ? docker.getImage(scope.latestImage).inspect().then((i) => i.Id, () => null) : null,
  ]);
  const chosen = (latestId ? running.find((c) => c.ImageID === latestId) : undefined) ?? running[0];
  return chosen ? versionFromName(bareName(chosen), scope.prefix) : null;
}

/** `docker stop [-t T]`, ignoring containers that are already stopped or gone. */
export async function stopContainer(docker: Dockerode, idOrName: string, timeout: number | null): Promise<void> {
  try {
    await docker.getContainer(idOrName).stop(timeout === null ? {} : { t: timeout });
  } catch (e) {
    if (isNotModified(e) || isNotFound(e)) return;
    throw e;
  }
}

export async function startContainer(docker: Dockerode, idOrName: string): Promise<void> {
  try {
    await docker.getContainer(idOrName).start();
  } catch (e) {
    if (isNotModified(e)) return;
    throw e;
  }
}

export async function removeContainer(docker: Dockerode, idOrName: string, force = false): Promise<void> {
  try {
    await docker.getContainer(idOrName).remove({ force });
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
}

/** The last `tail` log lines of a container, stdout and stderr together (`docker logs … 2>&1`). */
export async function logTail(docker: Dockerode, idOrName: string, tail = 100): Promise<string[]> {
  try {
    const buf = (await docker.getContainer(idOrName).logs({ stdout: true, stderr: true, tail, follow: false, timestamps: false })) as unknown as Buffer;
    return demuxBuffer(buf).toString('utf8').split('\n').filter((l) => l !== '');
  } catch (e) {
    return [`(logs unavailable: ${daemonMessage(e)})`];
  }
}

/** `docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'` */
export async function healthOrState(docker: Dockerode, idOrName: string): Promise<string> {
  const info = await docker.getContainer(idOrName).inspect();
  return info.State.Health?.Status ?? info.State.Status;
}

/** Docker's multiplexed log format (8-byte frame headers) flattened; TTY output passes through as is. */
export function demuxBuffer(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i]!;
    if (type > 2 || buf[i + 1] !== 0 || buf[i + 2] !== 0 || buf[i + 3] !== 0) return i === 0 ? buf : Buffer.concat([...parts, buf.subarray(i)]);
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return i === 0 ? buf : Buffer.concat(parts);
}
