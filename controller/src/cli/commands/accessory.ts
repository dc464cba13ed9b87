// `drover accessory …` (Kamal's `kamal accessory`): NAME is an accessory of deploy.yml, or `all` where Kamal allows it.
import { UserError } from '@drover/shared';
import type { ResolvedAccessory, ResolvedConfig } from '@drover/shared/config';
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { call, containerDetails, loadTarget, onHosts, report } from '../hosts.js';
import { withClient } from '../with-client.js';
import { LOG_OPTIONS } from './app-reads.js';
import { checkExecOptions, EXEC_OPTIONS, runExecCalls, runInteractive } from './exec.js';
import { ACCESSORY_STEPS } from './internal-steps.js';
import { jobCommand } from './job.js';
import { logOptions } from './log-options.js';

function sentence(words: string[]): string {
  if (words.length <= 2) return words.join(' and ');
  return `${words.slice(0, -1).join(', ')}, and ${words.at(-1)}`;
}

/** The named accessories (`all` where allowed), each limited to the selected hosts. */
function accessoriesNamed(config: ResolvedConfig, name: string, allowAll: boolean): ResolvedAccessory[] {
  if (allowAll && name === 'all') return config.accessories;
  const found = config.accessories.find((a) => a.name === name);
  if (!found) throw new UserError(`No accessory by the name of '${name}' (options: ${sentence(config.accessories.map((a) => a.name))})`);
  return [found];
}

async function details(inv: Invocation): Promise<number> {
  const { config, specifics, performer } = await loadTarget(inv);
  const { accessorySimpleParams } = await import('../../plan/op-params.js');
  let exit = 0;
  for (const acc of accessoriesNamed(config, inv.args[0]!, true)) {
    const hosts = acc.hosts.filter((h) => specifics.hosts.includes(h));
    const outcomes = await withClient(inv, (client) => onHosts(hosts, (host) => call(client, host, 'accessory.details', accessorySimpleParams(config, acc, performer))));
    exit ||= report(inv, `Accessory ${acc.name}`, outcomes, (d) => containerDetails(d, acc.service));
  }
  return exit;
}

async function logs(inv: Invocation): Promise<number> {
  const { config, specifics, performer } = await loadTarget(inv);
  const [acc] = accessoriesNamed(config, inv.args[0]!, false);
  const { accessoryLogsParams } = await import('../../plan/read-params.js');
  const o = logOptions(inv);
  const { streamLogs } = await import('./log-stream.js');
  const hosts = acc!.hosts.filter((h) => specifics.hosts.includes(h));
  return streamLogs(inv, `Accessory ${acc!.name}`, 'accessory.logs', hosts.map((host) => ({ host, params: accessoryLogsParams(config, acc!, o, performer) })), o.follow);
}

async function exec(inv: Invocation): Promise<number> {
  checkExecOptions(inv);
  const reuse = inv.options.reuse === true;
  const { config, specifics, performer, secrets } = await loadTarget(inv, { secrets: !reuse });
  const [name, ...words] = inv.args as [string, ...string[]];
  const { shellSplit } = await import('@drover/shared/secrets/shellwords');
  const command = shellSplit(words.join(' '));
  const [acc] = accessoriesNamed(config, name, false);
  const { accessoryExecParams } = await import('../../plan/read-params.js');
  const interactive = inv.options.interactive === true;
  const hosts = acc!.hosts.filter((h) => specifics.hosts.includes(h));
  // Kamal's -i goes to the first accessory host.
  const calls = (interactive ? hosts.slice(0, 1) : hosts).map((host) => ({
    host, label: host, op: 'accessory.exec' as const, params: accessoryExecParams(config, acc!, secrets, performer, { command, interactive, reuse, host }),
  }));
  if (calls.length === 0) throw new UserError(`accessory ${acc!.name}: none of its hosts is selected`);
  if (interactive) return runInteractive(inv, calls[0]!);
  if (inv.globals.verbosity !== 'quiet' && !inv.options.raw) inv.io.out(`Launching command from ${reuse ? 'existing' : 'new'} container...`);
  return runExecCalls(inv, `Accessory ${acc!.name}`, calls);
}

const NAME_OR_ALL = { usage: 'NAME|all', args: { min: 1, max: 1 } } as const;
const names = (inv: Invocation) => ({ accessories: [inv.args[0]!] });

export const accessoryCommand: CommandSpec = {
  name: 'accessory',
  summary: 'Manage accessories (db/redis/search)',
  subcommands: [
    jobCommand('boot', 'accessory boot', { summary: 'Boot new accessory service on host (use NAME=all to boot all accessories)', ...NAME_OR_ALL, commandOptions: names }),
    jobCommand('reboot', 'accessory reboot', { summary: 'Reboot existing accessory on host (stop container, remove container, start new container; use NAME=all for all)', ...NAME_OR_ALL, commandOptions: names }),
    jobCommand('start', 'accessory start', { summary: 'Start existing accessory container on host', ...NAME_OR_ALL, commandOptions: names }),
    jobCommand('stop', 'accessory stop', { summary: 'Stop existing accessory container on host', ...NAME_OR_ALL, commandOptions: names }),
    jobCommand('restart', 'accessory restart', { summary: 'Restart existing accessory container on host', ...NAME_OR_ALL, commandOptions: names }),
    { name: 'details', summary: 'Show details about accessory on host (use NAME=all to show all accessories)', ...NAME_OR_ALL, run: details },
    {
      name: 'exec', summary: 'Execute a custom command in the accessory container on its servers',
      usage: 'NAME CMD...', args: { min: 2, max: null }, commandLine: true, run: exec,
      options: { ...EXEC_OPTIONS, reuse: { type: 'boolean', description: 'Run in the running accessory container (docker exec) instead of a new one' } },
    },
    { name: 'logs', summary: 'Show log lines from accessory on host', usage: 'NAME', args: { min: 1, max: 1 }, options: LOG_OPTIONS, run: logs },
    {
      name: 'upgrade', summary: 'Upgrade an accessory from Kamal 1 to 2 (Drover runs Kamal 2 projects only: says so)', ...NAME_OR_ALL,
      options: { rolling: { type: 'boolean', description: 'One host at a time' }, confirmed: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation' } },
      async run(inv) {
        const { config } = await loadTarget(inv);
        const names = accessoriesNamed(config, inv.args[0]!, true).map((a) => a.name);
        inv.io.out(`${names.join(', ')}: already on the \`kamal\` network, as Drover boots every accessory; there is no Kamal 1 layout to upgrade. Nothing was changed.`);
        return 0;
      },
    },
    jobCommand('remove', 'accessory remove', {
      summary: 'Remove accessory container, image and data directory from host (use NAME=all to remove all accessories)',
      ...NAME_OR_ALL, commandOptions: names,
      options: { confirmed: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation' } },
      confirm: 'This will remove all containers, images and data directories for the accessory.',
    }),
    ...ACCESSORY_STEPS,
  ],
};
