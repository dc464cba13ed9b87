// `drover prune …` (Kamal's `kamal prune`): old containers and unused images of the service, under the lock.
import { usageError } from '../framework/errors.js';
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { jobCommand } from './job.js';

function retain(inv: Invocation): number | undefined {
  const v = inv.options.retain;
  if (typeof v !== 'string') return undefined;
  if (!/^-?\d+$/.test(v)) throw usageError(`--retain: expected a number, got "${v}"`, inv.help);
  return Number(v);
}

export const pruneCommand: CommandSpec = {
  name: 'prune',
  summary: 'Prune old application images and containers',
  subcommands: [
    jobCommand('all', 'prune all', { summary: 'Prune unused images and stopped containers' }),
    jobCommand('images', 'prune images', { summary: 'Prune unused images' }),
    jobCommand('containers', 'prune containers', {
      summary: 'Prune all stopped containers, except the last n (default 5)',
      options: { retain: { type: 'string', value: 'N', description: "How many stopped containers to keep (default: retain_containers)" } },
      commandOptions: (inv) => ({ retain: retain(inv) }),
    }),
  ],
};
