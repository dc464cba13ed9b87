/** `rollout deploy|set|stop`: canary targets beside the active ones. */
import type { ProxyCommand } from './command.js';
import { UsageError } from './flags.js';
import { call } from './client.js';

const rolloutDeploy: ProxyCommand = {
  name: 'deploy', summary: 'Deploy a target host for a rollout', use: 'rollout deploy <service>', exactArgs: 1,
  flags: {
    target: { type: 'strings', default: [], usage: 'Target host(s) to deploy', required: true },
    'read-target': { type: 'strings', default: [], usage: 'Read-only target host(s) to deploy' },
    'deploy-timeout': { type: 'duration', default: 30_000, usage: 'Maximum time to wait for the new target to become healthy' },
    'drain-timeout': { type: 'duration', default: 30_000, usage: 'Maximum time to allow existing connections to drain before removing old target' },
  },
  async run(flags, io) {
    const v = flags.values;
    await call(io, 'RolloutDeploy', {
      service: flags.args[0], targets: v.target, readers: v['read-target'],
      deployTimeoutMs: v['deploy-timeout'], drainTimeoutMs: v['drain-timeout'],
    });
    return 0;
  },
};

const rolloutSet: ProxyCommand = {
  name: 'set', summary: 'Set the rollout split', use: 'rollout set <service>', exactArgs: 1,
  flags: {
    percent: { type: 'int', default: 0, usage: 'Percentage of traffic to send to the rollout target' },
    list: { type: 'strings', default: [], usage: 'Allowlist of rollout cookie values that always use the rollout target' },
  },
  async run(flags, io) {
    if (!flags.changed.has('percent') && !flags.changed.has('list')) {
      throw new UsageError('at least one of the flags in the group [percent list] is required');
    }
    await call(io, 'RolloutSet', { service: flags.args[0], percentage: flags.values.percent, allowlist: flags.values.list });
    return 0;
  },
};

const rolloutStop: ProxyCommand = {
  name: 'stop', summary: 'Stop the rollout', use: 'rollout stop <service>', exactArgs: 1, flags: {},
  async run(flags, io) {
    await call(io, 'RolloutStop', { service: flags.args[0] });
    return 0;
  },
};

export const rolloutCommand: ProxyCommand = {
  name: 'rollout', summary: 'Manage rollouts', use: 'rollout', flags: {},
  subcommands: [rolloutDeploy, rolloutSet, rolloutStop],
};
