import { z } from 'zod';
import { unknownAccessoryRoles } from './resolve/accessories.js';
import { proxyHosts, resolveProxyRun, roleProxyConfig } from './resolve/proxy.js';
import { checkProxy } from './schema/proxy.js';
import { isLocalRegistry } from './schema/registry.js';
import type { DeployConfig } from './schema/root.js';

/** The Kamal version whose behaviour Drover reproduces; `minimum_version` is compared with it. */
export const KAMAL_COMPAT_VERSION = '2.12.0';

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Keys whose absence Kamal reports before anything else. Runs on the raw document. */
export function missingRequiredKeys(raw: Record<string, unknown>): string[] {
  const registry = raw.registry as { server?: unknown } | undefined;
  const local = typeof registry?.server === 'string' && isLocalRegistry(registry.server);
  return ['service', 'registry', 'image']
    .filter((key) => raw[key] === undefined || raw[key] === null)
    .filter((key) => !(key === 'image' && local))
    .map((key) => `Missing required configuration for ${key}`);
}

/**
 * The checks that span sections (Kamal's semantic errors), after the schema has passed. Roles in
 * `labelRoles` (x-drover/roles) get hosts from agent labels too: an empty host list is theirs to fill.
 */
export function crossChecks(config: DeployConfig, hookFiles: string[], labelRoles: string[] = []): string[] {
  const errors: string[] = [];
  const servers = config.servers ?? [];
  for (const role of labelRoles) if (!servers.some((r) => r.name === role)) errors.push(`x-drover/roles/${role}: no such role in servers`);
  const named = (role: (typeof servers)[number]) => (role.config.hosts ?? []).length > 0 || labelRoles.includes(role.name);
  const primaryRole = config.primary_role ?? 'web';
  const accessories = config.accessories ?? {};

  if (config.service !== undefined && !/^[a-z0-9_-]+$/i.test(config.service)) {
    errors.push('Service name can only include alphanumeric characters, hyphens, and underscores');
  }
  if (servers.length === 0 && Object.keys(accessories).length === 0) errors.push('No servers or accessories specified');
  if (servers.length > 0) {
    const primary = servers.find((r) => r.name === primaryRole);
    if (!primary) errors.push(`The primary_role ${primaryRole} isn't defined`);
    else if (!named(primary)) errors.push(`No servers specified for the ${primaryRole} primary_role`);
    if (!config.allow_empty_roles) {
      for (const role of servers) {
        if (role.name !== primaryRole && !named(role)) {
          errors.push(`No servers specified for the ${role.name} role. You can ignore this with allow_empty_roles: true`);
        }
      }
    }
  }
  if (config.minimum_version !== undefined && compareVersions(config.minimum_version, KAMAL_COMPAT_VERSION) > 0) {
    errors.push(`Current version is ${KAMAL_COMPAT_VERSION}, minimum required is ${config.minimum_version}`);
  }
  if (config.retain_containers !== undefined && config.retain_containers < 1) errors.push('Must retain at least 1 container');
  const traefik = hookFiles.filter((f) => f === 'pre-traefik-reboot' || f === 'post-traefik-reboot').sort().reverse();
  if (traefik.length > 0) errors.push(`Found ${traefik.join(', ')}, these should be renamed to (pre|post)-proxy-reboot`);
  if (config.builder === undefined) errors.push('builder: Builder arch not set');
  if (isLocalRegistry(config.registry?.server) && config.builder?.remote !== undefined && !config.builder.remote.startsWith('ssh://')) {
    errors.push('Local registry with remote builder requires an SSH URL (e.g., ssh://user@host)');
  }

  // Proxies: each role's merged proxy, SSL rules, and one `run` per host.
  const sslHosts = new Map<string, string>();
  const runsByHost = new Map<string, string[]>();
  const noteRun = (host: string, run: unknown) => {
    const list = runsByHost.get(host) ?? [];
    list.push(JSON.stringify(resolveProxyRun(run as never)));
    runsByHost.set(host, list);
  };
  for (const role of servers) {
    const proxy = roleProxyConfig(config, role, primaryRole);
    if (!proxy) continue;
    const context = typeof role.config.proxy === 'object' ? `servers/${role.name}/proxy` : 'proxy';
    const issues: string[] = [];
    checkProxy(proxy, { addIssue: (i: { message?: string }) => issues.push(i.message ?? '') } as unknown as z.RefinementCtx);
    // The root's own host/hosts clash is already reported by the schema.
    for (const message of issues) if (context !== 'proxy' || !message.startsWith('Specify one of')) errors.push(`${context}: ${message}`);
    const hosts = role.config.hosts ?? [];
    if (proxy.ssl) {
      const custom = typeof proxy.ssl === 'object';
      if (!custom && hosts.length > 1) {
        errors.push(`SSL is only supported on a single server unless you provide custom certificates, found ${hosts.length} servers for role ${role.name}`);
      }
      for (const host of proxyHosts(proxy)) {
        const other = sslHosts.get(host);
        if (other !== undefined && other !== role.name) errors.push(`Different roles can't share the same host for SSL: ${host}`);
        sslHosts.set(host, role.name);
      }
    }
    for (const h of hosts) noteRun(h.host, proxy.run);
  }
  for (const [name, accessory] of Object.entries(accessories)) {
    const unknown = unknownAccessoryRoles(accessory, servers);
    if (unknown.length > 0) errors.push(`accessories/${name}: unknown role(s) ${unknown.join(', ')}`);
    if (accessory.proxy && accessory.host) noteRun(accessory.host, accessory.proxy.run);
    if (accessory.proxy && accessory.hosts) for (const h of accessory.hosts) noteRun(h, accessory.proxy.run);
  }
  for (const [host, runs] of runsByHost) {
    if (new Set(runs).size > 1) errors.push(`Conflicting proxy run configurations for host ${host}`);
  }
  return errors;
}
