// `drover app details|containers|images|version|stale_containers|logs`: read from each selected host.
import type { ManagedContainer } from '@drover/shared/operations';
import type { Invocation, OptionSpecs } from '../framework/spec.js';
import { call, loadTarget, onHosts, report, dockerTable, type Target } from '../hosts.js';
import { withClient } from '../with-client.js';
import { logOptions } from './log-options.js';

function containerRows(list: ManagedContainer[]): string {
  if (list.length === 0) return '(none)';
  const when = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return dockerTable([['CONTAINER ID', 'IMAGE', 'CREATED', 'STATE', 'NAMES'], ...list.map((c) => [c.id.slice(0, 12), c.image, when(c.createdAt), c.state, c.name])]);
}

/** The service's app containers on each host, limited to the selected roles. */
async function appContainers(inv: Invocation, t: Target, running: boolean) {
  const { config, specifics } = t;
  return withClient(inv, (client) => onHosts(specifics.appHosts, async (host) => {
    const roles = new Set(specifics.rolesOn(host).map((r) => r.name));
    const { containers } = await call(client, host, 'containers.list', { service: config.service, destination: config.destination, role: null });
    return containers.filter((c) => c.kind === 'app' && c.role !== null && roles.has(c.role) && (!running || c.state === 'running'));
  }));
}

export async function details(inv: Invocation): Promise<number> {
  const outcomes = await appContainers(inv, await loadTarget(inv), true);
  return report(inv, 'App', outcomes, containerRows);
}

export async function containers(inv: Invocation): Promise<number> {
  const outcomes = await appContainers(inv, await loadTarget(inv), false);
  return report(inv, 'App', outcomes, containerRows);
}

export async function version(inv: Invocation): Promise<number> {
  const outcomes = await appContainers(inv, await loadTarget(inv), true);
  return report(inv, 'App', outcomes, (list) => [...new Set(list.map((c) => c.version ?? ''))].join('\n'));
}

export async function images(inv: Invocation): Promise<number> {
  const { config, specifics } = await loadTarget(inv);
  const outcomes = await withClient(inv, (client) => onHosts(specifics.appHosts, (host) => call(client, host, 'images.list', { service: config.service, destination: config.destination, role: null })));
  const size = (b: number) => `${(b / 1e6).toFixed(1)}MB`;
  return report(inv, 'App', outcomes, ({ images: list }) => dockerTable([
    ['REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'],
    ...list.flatMap((i) => (i.tags.length ? i.tags : ['<none>:<none>']).map((t) => {
      const at = t.lastIndexOf(':');
      return [t.slice(0, at), t.slice(at + 1), i.id.replace(/^sha256:/, '').slice(0, 12), size(i.size)];
    })),
  ]));
}

export async function staleContainers(inv: Invocation): Promise<number> {
  const t = await loadTarget(inv);
  const { config, specifics, performer } = t;
  const outcomes = await withClient(inv, (client) => onHosts(specifics.appHosts, async (host) => {
    const found: string[] = [];
    for (const role of specifics.rolesOn(host)) {
      const r = await call(client, host, 'app.stale_containers', { service: config.service, destination: config.destination, performer, role: role.name, latestImage: config.image.latestRef, stop: false });
      found.push(...r.containers.map((name) => `Detected stale container for role ${role.name} with container ID ${name} (use \`drover app stale_containers --stop\` to stop)`));
    }
    return found;
  }));
  return report(inv, 'App', outcomes, (lines) => lines.join('\n'));
}

export const LOG_OPTIONS: OptionSpecs = {
  since: { type: 'string', short: 's', value: 'TIME', description: 'Show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m for 42 minutes)' },
  lines: { type: 'string', short: 'n', value: 'N', description: 'Number of lines to show from each server (default 100, or 10 with --follow, unless --since or --grep)' },
  grep: { type: 'string', short: 'g', value: 'TEXT', description: 'Show only lines matching this' },
  'grep-options': { type: 'string', value: 'OPTS', description: 'Options for grep (-i, -E …)' },
  follow: { type: 'boolean', short: 'f', description: 'Follow the logs of every selected host, prefixed with the host' },
  'skip-timestamps': { type: 'boolean', short: 'T', description: 'Leave out timestamps' },
};

export async function logs(inv: Invocation): Promise<number> {
  const { config, specifics } = await loadTarget(inv);
  const { appLogsParams } = await import('../../plan/read-params.js');
  const o = logOptions(inv);
  const containerId = typeof inv.options['container-id'] === 'string' ? inv.options['container-id'] : null;
  const calls = specifics.appHosts.flatMap((host) => specifics.rolesOn(host).map((role) => ({ host, params: appLogsParams(config, role, o, containerId) })));
  const { streamLogs } = await import('./log-stream.js');
  return streamLogs(inv, 'App', 'containers.logs', calls, o.follow);
}
