// What Kamal's read commands share: load the project, select hosts (-r/-h/-p), call one agent operation
// per host through the controller, print each host's answer under Kamal's `<Kind> Host: h` header.
import { describeError } from '@drover/shared';
import type { ResolvedConfig } from '@drover/shared/config';
import type { OperationName, OperationParams, OperationResult } from '@drover/shared/operations';
import type { OperatorClient } from '../client/operator-client.js';
import type { Specifics } from '../plan/selection.js';
import type { Invocation } from './framework/spec.js';
import { table } from './table.js';

export interface Target {
  config: ResolvedConfig;
  specifics: Specifics;
  /** Secret values the config reads (only when asked for). */
  secrets: Record<string, string>;
  performer: string;
  /** By role selecting hosts by label: the enrolled agents its selector matches. */
  labelMatches: Record<string, string[]>;
}

/** The project's config (`-c`, `-d`, `--version`, else `version`) and the selected hosts and roles. */
export async function loadTarget(inv: Invocation, opts: { secrets?: boolean; version?: string } = {}): Promise<Target> {
  const { loadProject, performerOf } = await import('../operator/project.js');
  const { selectSpecifics } = await import('../plan/selection.js');
  const { cwd, env } = inv.io;
  const version = inv.globals.version ?? opts.version;
  const { withLabelHosts } = await import('./label-hosts.js');
  const load = { cwd, env, configFile: inv.globals.configFile, destination: inv.globals.destination, version };
  let config: ResolvedConfig;
  let secrets: Record<string, string> = {};
  if (opts.secrets) {
    ({ config, secrets } = await loadProject(load));
  } else {
    const { loadConfig } = await import('@drover/shared/config');
    config = await loadConfig(load);
  }
  // Secret names do not depend on hosts chosen by label (they carry no tags), so only the config is loaded again.
  const labelled = await withLabelHosts(inv, config, load);
  return { config: labelled.config, secrets, specifics: selectSpecifics(labelled.config, inv.globals.selection), performer: await performerOf(cwd), labelMatches: labelled.labelMatches };
}

/** One agent operation through the controller, its result parsed by the catalog. */
export async function call<N extends OperationName>(client: OperatorClient, host: string, op: N, params: OperationParams<N>): Promise<OperationResult<N>> {
  const { parseOperationResult } = await import('@drover/shared/operations');
  return parseOperationResult(op, await client.rpc(host, op, params));
}

export type HostOutcome<T> = { host: string; ok: true; value: T } | { host: string; ok: false; error: string };

/** `fn` on every host at once; a host's failure is its outcome, not the command's. */
export function onHosts<T>(hosts: string[], fn: (host: string) => Promise<T>): Promise<HostOutcome<T>[]> {
  return Promise.all(hosts.map(async (host): Promise<HostOutcome<T>> => {
    try {
      return { host, ok: true, value: await fn(host) };
    } catch (err) {
      return { host, ok: false, error: describeError(err) };
    }
  }));
}

/**
 * Prints each host's text under `<title> Host: h` (no header with -q), or all outcomes as JSON with
 * --json; failures go to stderr naming the agent. Exit 1 when any host failed.
 */
export function report<T>(inv: Invocation, title: string, outcomes: HostOutcome<T>[], render: (value: T, host: string) => string): number {
  if (inv.globals.json) {
    inv.io.out(JSON.stringify({ hosts: outcomes.map((o) => (o.ok ? { host: o.host, result: o.value } : { host: o.host, error: o.error })) }, null, 2));
  } else {
    for (const o of outcomes) {
      if (!o.ok) {
        inv.io.err(`agent ${o.host}: ${o.error}`);
        continue;
      }
      if (inv.globals.verbosity !== 'quiet') inv.io.out(`${title} Host: ${o.host}`);
      const text = render(o.value, o.host);
      if (text) inv.io.out(text);
      if (inv.globals.verbosity !== 'quiet') inv.io.out('');
    }
  }
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

/** `docker ps` of one named container (kamal-proxy, an accessory), or a line saying it is not there. */
export function containerDetails(d: { present: boolean; id: string | null; image: string | null; status: string | null; state: string | null; ports: string[] }, name: string): string {
  if (!d.present) return `${name} is not running`;
  return dockerTable([['CONTAINER ID', 'IMAGE', 'STATUS', 'PORTS', 'NAMES'], [d.id?.slice(0, 12) ?? '', d.image ?? '', d.status ?? d.state ?? '', d.ports.join(', '), name]]);
}

/** Docker's listings: columns three spaces apart. */
export const dockerTable = (rows: string[][]): string => table(rows, '   ');
