import { randomBytes } from 'node:crypto';

/** Container names, labels and host paths exactly as Kamal writes them (reference kamal.md §5). */

export const PROXY_CONTAINER = 'kamal-proxy';
export const KAMAL_NETWORK = 'kamal';
export const PROXY_CONFIG_VOLUME = 'kamal-proxy-config';
export const PROXY_HOME = '/home/kamal-proxy';
export const PROXY_APPS_CONFIG_MOUNT = `${PROXY_HOME}/.apps-config`;
export const MINIMUM_PROXY_VERSION = 'v0.9.2';

export function serviceAndDestination(service: string, destination: string | null): string {
  return destination ? `${service}-${destination}` : service;
}

/** `<service>-<role>[-<destination>]`: the container prefix and the kamal-proxy service name. */
export function containerPrefix(service: string, role: string, destination: string | null): string {
  return destination ? `${service}-${role}-${destination}` : `${service}-${role}`;
}

export function appContainerName(prefix: string, version: string): string {
  return `${prefix}-${version}`;
}

export function replacedContainerName(name: string, hex = randomBytes(8).toString('hex')): string {
  return `${name}_replaced_${hex}`;
}

export function execContainerName(prefix: string, version: string, hex = randomBytes(3).toString('hex')): string {
  return `${prefix}-exec-${version}-${hex}`;
}

export function assetsContainerName(prefix: string): string {
  return `${prefix}-assets`;
}

/** Kamal: `host[0...51].chomp(".") + "-" + SecureRandom.hex(6)`. */
export function containerHostname(host: string, hex = randomBytes(6).toString('hex')): string {
  let base = host.slice(0, 51);
  if (base.endsWith('.')) base = base.slice(0, -1);
  return `${base}-${hex}`;
}

/** service, role, destination (empty without one: Kamal's bare `--label destination`), then custom labels. */
export function appLabels(service: string, role: string, destination: string | null, custom: Record<string, string>): Record<string, string> {
  // Later `--label` flags win in docker run, so custom labels come after (as Kamal orders them).
  return { service, role, destination: destination ?? '', ...custom };
}

/** Docker list filters matching a role's containers (`label=destination=` without a destination). */
export function roleFilters(service: string, role: string, destination: string | null): { label: string[] } {
  return { label: [`service=${service}`, `destination=${destination ?? ''}`, `role=${role}`] };
}

export function exactName(name: string): string {
  return `^${name.replace(/[.+]/g, (c) => `\\${c}`)}$`;
}

/** The version part of an app container's name, or null when the name is not `<prefix>-…`. */
export function versionFromName(name: string, prefix: string): string | null {
  const bare = name.startsWith('/') ? name.slice(1) : name;
  return bare.startsWith(`${prefix}-`) ? bare.slice(prefix.length + 1) : null;
}

/** Host layout under the run directory (Kamal's `.kamal`). */
export const hostPaths = {
  auditLog: (runDir: string, svcDest: string) => `${runDir}/${svcDest}-audit.log`,
  appDir: (runDir: string, svcDest: string) => `${runDir}/apps/${svcDest}`,
  roleEnvFile: (runDir: string, svcDest: string, role: string) => `${runDir}/apps/${svcDest}/env/roles/${role}.env`,
  accessoryEnvFile: (runDir: string, svcDest: string, name: string) => `${runDir}/apps/${svcDest}/env/accessories/${name}.env`,
  assetsExtracted: (runDir: string, svcDest: string) => `${runDir}/apps/${svcDest}/assets/extracted`,
  assetsVolumes: (runDir: string, svcDest: string) => `${runDir}/apps/${svcDest}/assets/volumes`,
  proxyDir: (runDir: string) => `${runDir}/proxy`,
  proxyAppsConfig: (runDir: string) => `${runDir}/proxy/apps-config`,
  errorPages: (runDir: string, svcDest: string, version: string) => `${runDir}/proxy/apps-config/${svcDest}/error_pages/${version}`,
  tlsDir: (runDir: string, svcDest: string, role: string | null) => `${runDir}/proxy/apps-config/${svcDest}/tls${role ? `/${role}` : ''}`,
};

/** Where kamal-proxy sees the custom certificate (`/home/kamal-proxy/.apps-config/<svc-dest>/tls/<role>/cert.pem`). */
export function proxyTlsPaths(svcDest: string, role: string | null): { cert: string; key: string } {
  const dir = `${PROXY_APPS_CONFIG_MOUNT}/${svcDest}/tls${role ? `/${role}` : ''}`;
  return { cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
}
