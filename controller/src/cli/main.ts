#!/usr/bin/env node
import { describeError, DROVER_VERSION } from '@drover/shared';
import type { Command } from './command.js';

// Loaded lazily so `drover config` does not pay for fastify or sqlite.
const commands: Record<string, () => Promise<{ command: Command }>> = {
  init: () => import('./commands/init.js'),
  config: () => import('./commands/config.js'),
  secrets: () => import('./commands/secrets.js'),
  controller: () => import('./commands/controller.js'),
  login: () => import('./commands/login.js'),
  context: () => import('./commands/context.js'),
  agents: () => import('./commands/agents.js'),
  deploy: async () => ({ command: (await import('./commands/deploy.js')).deployCommand('deploy') }),
  redeploy: async () => ({ command: (await import('./commands/deploy.js')).deployCommand('redeploy') }),
  rollback: async () => ({ command: (await import('./commands/deploy.js')).deployCommand('rollback') }),
  setup: async () => ({ command: (await import('./commands/deploy.js')).deployCommand('setup') }),
  remove: async () => ({ command: (await import('./commands/deploy.js')).deployCommand('remove') }),
  lock: () => import('./commands/lock.js'),
  deployments: () => import('./commands/deployments.js'),
};

async function usage(): Promise<string> {
  const lines = ['Usage: drover <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(commands)) {
    const { command } = await load();
    lines.push(`  ${name.padEnd(12)} ${command.summary}`);
  }
  lines.push('', 'Run `drover <command> --help` for a command\'s options.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(await usage());
    return name === undefined ? 1 : 0;
  }
  if (name === 'version' || name === '--version') {
    console.log(DROVER_VERSION);
    return 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(`drover: unknown command "${name}"\n\n${await usage()}`);
    return 64;
  }
  const { command } = await load();
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(`drover: ${describeError(err)}`);
    process.exitCode = (err as { exitCode?: number }).exitCode ?? 1;
  },
);
