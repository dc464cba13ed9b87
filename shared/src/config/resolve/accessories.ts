import type { AccessoryConfig, MountEntry } from '../schema/accessories.js';
import { KAMAL_DEFAULTS } from '../kamal-defaults.js';
import type { DeployConfig } from '../schema/root.js';
import type { ServersConfig } from '../schema/servers.js';
import type { ResolvedAccessory, ResolvedMount } from '../types.js';
import { accessoryEnv } from './env.js';
import { resolveLogging } from './logging.js';
import { resolveProxy } from './proxy.js';
import { resolveRegistry } from './registry.js';

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/** The hosts an accessory runs on, from exactly one of host/hosts/role/roles/tag/tags. */
export function accessoryHosts(accessory: AccessoryConfig, servers: ServersConfig): string[] {
  if (accessory.host !== undefined) return [accessory.host];
  if (accessory.hosts !== undefined) return unique(accessory.hosts);
  const roles = accessory.role !== undefined ? [accessory.role] : accessory.roles;
  if (roles !== undefined) {
    return unique(servers.filter((r) => roles.includes(r.name)).flatMap((r) => (r.config.hosts ?? []).map((h) => h.host)));
  }
  const tags = accessory.tag !== undefined ? [accessory.tag] : (accessory.tags ?? []);
  return unique(servers.flatMap((r) => (r.config.hosts ?? []).filter((h) => h.tags.some((t) => tags.includes(t))).map((h) => h.host)));
}

/** Roles named by an accessory that `servers` does not define. */
export function unknownAccessoryRoles(accessory: AccessoryConfig, servers: ServersConfig): string[] {
  const roles = accessory.role !== undefined ? [accessory.role] : (accessory.roles ?? []);
  return roles.filter((r) => !servers.some((s) => s.name === r));
}

function normaliseMount(entry: MountEntry): { local: string; remote: string; mode?: string; owner?: string; options?: string } {
  if (typeof entry !== 'string') return entry;
  const [local = '', remote = '', ...rest] = entry.split(':');
  return { local, remote, ...(rest.length > 0 ? { options: rest.join(':') } : {}) };
}

/** `files`: uploaded to `<acc-service>/<remote>` (mode 755 by default) and mounted at `remote`. */
function fileMount(service: string, entry: MountEntry): ResolvedMount {
  const m = normaliseMount(entry);
  const remote = m.remote.startsWith('/') ? m.remote : `/${m.remote}`;
  return { local: m.local, remote: m.remote, mode: m.mode ?? '755', owner: m.owner ?? null, options: m.options ?? null, hostPath: `${service}${remote}` };
}

/** `directories`: a relative `local` lives under `<acc-service>/`; an absolute one is used as given. */
function directoryMount(service: string, entry: MountEntry): ResolvedMount {
  const m = normaliseMount(entry);
  const hostPath = m.local.startsWith('/') ? m.local : `${service}/${m.local}`;
  return { local: m.local, remote: m.remote, mode: m.mode ?? null, owner: m.owner ?? null, options: m.options ?? null, hostPath };
}

function volumeArg(mount: ResolvedMount): string {
  const host = mount.hostPath.startsWith('/') ? mount.hostPath : `$PWD/${mount.hostPath}`;
  return [host, mount.remote, ...(mount.options ? [mount.options] : [])].join(':');
}

export function resolveAccessory(
  name: string,
  accessory: AccessoryConfig,
  config: DeployConfig,
  servers: ServersConfig,
  ctx: { serviceAndDestination: string; version: string },
): ResolvedAccessory {
  const service = accessory.service ?? `${config.service}-${name}`;
  const registry = accessory.registry ? resolveRegistry(accessory.registry) : null;
  const image = registry?.server ? `${registry.server}/${accessory.image ?? ''}` : (accessory.image ?? '');
  const files = (accessory.files ?? []).map((f) => fileMount(service, f));
  const directories = (accessory.directories ?? []).map((d) => directoryMount(service, d));
  const { restart, ...options } = accessory.options ?? {};
  const port = accessory.port;
  return {
    name,
    service,
    image,
    registry,
    hosts: accessoryHosts(accessory, servers),
    cmd: accessory.cmd ?? null,
    publish: port === undefined ? null : port.includes(':') ? port : `${port}:${port}`,
    labels: { service, ...accessory.labels },
    restartPolicy: typeof restart === 'string' ? restart : KAMAL_DEFAULTS.restartPolicy,
    options,
    env: accessoryEnv(accessory.env),
    files,
    directories,
    volumeArgs: [...(accessory.volumes ?? []), ...files.map(volumeArg), ...directories.map(volumeArg)],
    network: accessory.network ?? 'kamal',
    logging: resolveLogging(config.logging),
    proxy: accessory.proxy
      ? resolveProxy(accessory.proxy, {
          serviceAndDestination: ctx.serviceAndDestination,
          role: null,
          version: ctx.version,
          deployTimeout: config.deploy_timeout ?? KAMAL_DEFAULTS.deployTimeoutSeconds,
          drainTimeout: config.drain_timeout ?? KAMAL_DEFAULTS.drainTimeoutSeconds,
          errorPagesPath: null,
        })
      : null,
  };
}
