// Kamal's top-level reporting commands: `details` (proxy, app and accessories), `audit` (the hosts'
// audit logs), `docs` (configuration reference), and `upgrade` (Kamal 1 → 2, which Drover never was).
import type { ResolvedConfig } from '@drover/shared/config';
import type { ConvergenceView } from '../../server/deployments-api.js';
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { call, loadTarget, onHosts, report } from '../hosts.js';
import { pendingLines } from './converge.js';
import { withClient } from '../with-client.js';

async function details(inv: Invocation): Promise<number> {
  const { DROVER } = await import('../tree.js');
  const { runCli } = await import('../framework/run.js');
  // The same global options for each part, as Kamal's `details` invokes its subcommands.
  const rest = passGlobals(inv);
  const { config, labelMatches } = await loadTarget(inv);
  const parts: [string, string[]][] = [['proxy', ['proxy', 'details']], ['app', ['app', 'details']]];
  if (config.accessories.length > 0) parts.push(['accessories', ['accessory', 'details', 'all']]);
  let exit = 0;
  const json: Record<string, unknown> = {};
  for (const [key, words] of parts) {
    // With --json each part's document is collected, and one object printed for all three.
    let captured = '';
    const io = inv.globals.json ? { ...inv.io, out: (text: string) => { captured += `${text}\n`; } } : inv.io;
    exit ||= await runCli(DROVER, [...words, ...rest], io);
    if (inv.globals.json && captured.trim()) json[key] = JSON.parse(captured);
  }
  const drover = await droverPart(inv, config, labelMatches);
  if (inv.globals.json) inv.io.out(JSON.stringify({ ...json, ...drover }, null, 2));
  else printDroverPart(inv, drover);
  return exit;
}

interface DroverPart {
  /** By role selecting hosts by label: its selector and the enrolled agents that match it. */
  fleets: Record<string, { selector: string; agents: string[] }>;
  convergence: { paused: boolean; pending: ConvergenceView['pending'] };
}

/** Drover's part of `details`: the agents each label selector matches, and the service's hosts waiting to converge. */
async function droverPart(inv: Invocation, config: ResolvedConfig, labelMatches: Record<string, string[]>): Promise<DroverPart> {
  const { describeSelector } = await import('../../plan/fleets.js');
  const view = await withClient(inv, (c) => c.convergence());
  return {
    fleets: Object.fromEntries(Object.entries(config.drover.roleLabels).map(([role, labels]) => [role, { selector: describeSelector(labels), agents: labelMatches[role] ?? [] }])),
    convergence: { paused: view.paused, pending: view.pending.filter((p) => p.key === config.serviceAndDestination) },
  };
}

function printDroverPart(inv: Invocation, { fleets, convergence }: DroverPart): void {
  for (const [role, { selector, agents }] of Object.entries(fleets)) inv.io.out(`Role ${role}: agents labelled ${selector}: ${agents.join(', ') || 'none'}`);
  const state = convergence.paused ? 'paused' : 'on';
  if (convergence.pending.length === 0) return inv.io.out(`Convergence (${state}): no host waits for this service`);
  inv.io.out(`Convergence (${state}):`);
  for (const line of pendingLines(convergence.pending)) inv.io.out(`  ${line}`);
}

/** The invocation's global options as argv again. */
function passGlobals(inv: Invocation): string[] {
  const g = inv.globals;
  return [
    ...(g.verbosity === 'quiet' ? ['-q'] : g.verbosity === 'verbose' ? ['-v'] : []),
    ...(g.version ? ['--version', g.version] : []), ...(g.selection.primary ? ['-p'] : []),
    ...(g.selection.hosts.length ? ['-h', g.selection.hosts.join(',')] : []), ...(g.selection.roles.length ? ['-r', g.selection.roles.join(',')] : []),
    ...(g.configFile ? ['-c', g.configFile] : []), ...(g.destination ? ['-d', g.destination] : []),
    ...(g.context ? ['--context', g.context] : []), ...(g.json ? ['--json'] : []),
  ];
}

async function audit(inv: Invocation): Promise<number> {
  const { config, specifics } = await loadTarget(inv);
  const outcomes = await withClient(inv, (client) => onHosts(specifics.hosts, (host) => call(client, host, 'audit.read', { service: config.service, destination: config.destination, lines: 50 })));
  return report(inv, 'App', outcomes, (r) => r.lines.join('\n'));
}

async function docs(inv: Invocation): Promise<number> {
  const { configDocs } = await import('../../operator/config-docs.js');
  inv.io.out(configDocs(inv.args[0]));
  return 0;
}

export const detailsCommand: CommandSpec = { name: 'details', summary: 'Show details about all containers (kamal-proxy, app, accessories)', run: details };

export const auditCommand: CommandSpec = { name: 'audit', summary: 'Show the audit log entries on the servers (the last 50 lines)', run: audit };

export const docsCommand: CommandSpec = {
  name: 'docs',
  summary: 'Show the configuration documentation (a section: accessory, alias, boot, builder, configuration, env, …)',
  usage: '[SECTION]',
  args: { min: 0, max: 1 },
  kamalGlobals: false,
  run: docs,
};

export const upgradeCommand: CommandSpec = {
  name: 'upgrade',
  summary: 'Upgrade from Kamal 1 to 2 (Drover deploys Kamal 2 projects only: says so)',
  options: { confirmed: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation' }, rolling: { type: 'boolean', description: 'One host at a time' } },
  async run(inv) {
    inv.io.out('Drover runs Kamal 2 projects with kamal-proxy from the start: there is no Traefik or Kamal 1 layout to upgrade. Nothing was changed.');
    return 0;
  },
};
