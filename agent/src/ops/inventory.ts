import type Dockerode from 'dockerode';
import type { Inventory, ManagedContainer } from '@drover/shared/operations';
import { isoTime } from '@drover/shared/utc-time';
import { PROXY_CONTAINER } from './names.js';

/** `Up 3 minutes (healthy)` → healthy; no health check → none. */
export function healthFromStatus(status: string): ManagedContainer['health'] {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return 'none';
}

/**
 * Classifies one container as Kamal leaves them: the proxy by name; app containers by their
 * service/role/destination labels and `<service>-<role>[-<dest>]-<version>` name; accessories by a
 * `service` label without a role. Containers deployed by Kamal itself classify the same way.
 */
export function classify(c: Dockerode.ContainerInfo): ManagedContainer | null {
  const name = (c.Names[0] ?? '').replace(/^\//, '');
  const labels = c.Labels ?? {};
  const base = { id: c.Id, name, image: c.Image, state: c.State, health: healthFromStatus(c.Status), createdAt: c.Created };
  if (name === PROXY_CONTAINER) return { ...base, kind: 'proxy', service: null, role: null, destination: null, version: imageVersion(c.Image) };
  const service = labels.service;
  if (!service) return null;
  const role = labels.role;
  if (role) {
    const destination = labels.destination ? labels.destination : null;
    const prefix = destination ? `${service}-${role}-${destination}-` : `${service}-${role}-`;
    let version = name.startsWith(prefix) ? name.slice(prefix.length) : null;
    let kind: ManagedContainer['kind'] = 'app';
    if (version?.includes('_replaced_')) { kind = 'replaced'; version = version.slice(0, version.indexOf('_replaced_')); }
    return { ...base, kind, service, role, destination, version };
  }
  const exec = /^(.*)-exec-(.+)-[0-9a-f]{6}$/.exec(name);
  if (exec && name.startsWith(`${service}-`)) return { ...base, kind: 'exec', service, role: null, destination: null, version: exec[2]! };
  return { ...base, kind: 'accessory', service, role: null, destination: null, version: null };
}

function imageVersion(image: string): string | null {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : null;
}

export async function collectInventory(docker: Dockerode, host: string): Promise<Inventory> {
  const all = await docker.listContainers({ all: true });
  const containers = all.map(classify).filter((c): c is ManagedContainer => c !== null).sort((a, b) => b.createdAt - a.createdAt);
  return { host, collectedAt: isoTime(), containers: containers.filter((c) => c.kind !== 'proxy'), proxy: containers.find((c) => c.kind === 'proxy') ?? null };
}
