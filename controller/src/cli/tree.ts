// Every `drover` command, as data. Command modules import their heavy dependencies inside `run`, so
// building this tree (for dispatch and help) stays cheap.
import { DROVER_VERSION } from '@drover/shared';
import { accessoryCommand } from './commands/accessory.js';
import { agentsCommand } from './commands/agents.js';
import { appCommand } from './commands/app.js';
import { buildCommand } from './commands/build.js';
import { configCommand } from './commands/config.js';
import { convergeCommand } from './commands/converge.js';
import { contextCommand } from './commands/context.js';
import { controllerCommand } from './commands/controller.js';
import { deployCommand } from './commands/deploy.js';
import { deploymentsCommand } from './commands/deployments.js';
import { initCommand } from './commands/init.js';
import { lockCommand } from './commands/lock.js';
import { loginCommand } from './commands/login.js';
import { auditCommand, detailsCommand, docsCommand, upgradeCommand } from './commands/overview.js';
import { proxyCommand } from './commands/proxy.js';
import { pruneCommand } from './commands/prune.js';
import { registryCommand } from './commands/registry.js';
import { secretsCommand } from './commands/secrets.js';
import { serverCommand } from './commands/server.js';
import type { CommandSpec } from './framework/spec.js';

const versionCommand: CommandSpec = {
  name: 'version',
  summary: 'Show the Drover version',
  async run(inv) {
    inv.io.out(DROVER_VERSION);
    return 0;
  },
};

export const DROVER: CommandSpec = {
  name: 'drover',
  summary: 'Kamal-compatible deploys to servers that dial home',
  description: `Kamal-compatible deploys to servers that dial home. Run in a Kamal 2 project (config/deploy.yml,
.kamal/secrets, .kamal/hooks); hosts in deploy.yml are the names of enrolled agents.`,
  subcommands: [
    // Kamal's commands, in Kamal's help order.
    accessoryCommand, appCommand, auditCommand, buildCommand, configCommand, deployCommand('deploy'), detailsCommand, docsCommand,
    initCommand, lockCommand, proxyCommand, pruneCommand, deployCommand('redeploy'), registryCommand, deployCommand('remove'),
    deployCommand('rollback'), secretsCommand, serverCommand, deployCommand('setup'), upgradeCommand, versionCommand,
    // Drover's own.
    deploymentsCommand, convergeCommand, agentsCommand, loginCommand, contextCommand, controllerCommand,
  ],
};
