import type { CommandSpec, Invocation } from '../framework/spec.js';
import { usageError } from '../framework/errors.js';
import { withClient } from '../with-client.js';

/** The lock's key, `<service>[-<destination>]`, from the project's config. */
async function lockKey(inv: Invocation): Promise<string> {
  const { loadValidatedConfig, serviceAndDestination } = await import('@drover/shared/config');
  const { config } = await loadValidatedConfig({ cwd: inv.io.cwd, env: inv.io.env, configFile: inv.globals.configFile, destination: inv.globals.destination });
  return serviceAndDestination(config.service ?? '', inv.globals.destination ?? null);
}

const json = (inv: Invocation, value: unknown): void => inv.io.out(JSON.stringify(value, null, 2));

async function status(inv: Invocation): Promise<number> {
  const key = await lockKey(inv);
  const locks = await withClient(inv, (c) => c.serviceLocks(key));
  if (inv.globals.json) json(inv, { lock: locks[0] ?? null, locks });
  else inv.io.out(locks.length > 0 ? locks.map((l) => l.status).join('\n\n') : 'There is no deploy lock');
  return 0;
}

async function acquire(inv: Invocation): Promise<number> {
  const message = typeof inv.options.message === 'string' ? inv.options.message : '';
  if (!message) throw usageError("No value provided for required options '--message'", inv.help);
  const key = await lockKey(inv);
  const { lockHolderOf } = await import('../../operator/project.js');
  const holder = await lockHolderOf(inv.io.cwd);
  const lock = await withClient(inv, (c) => c.acquireLock(key, { message, holder, version: inv.globals.version ?? null }));
  if (inv.globals.json) json(inv, { lock });
  else inv.io.out('Acquired the deploy lock');
  return 0;
}

async function release(inv: Invocation): Promise<number> {
  const key = await lockKey(inv);
  const released = await withClient(inv, (c) => c.releaseLock(key));
  if (inv.globals.json) json(inv, { released });
  else inv.io.out(released ? 'Released the deploy lock' : 'There is no deploy lock');
  return 0;
}

export const lockCommand: CommandSpec = {
  name: 'lock',
  summary: 'Show, acquire or release the deploy lock',
  description: `The deploy lock lives in the controller, one per <service>[-<destination>]. A convergence
(\`drover converge\`) locks only the host it brings up to date; \`status\` shows those host locks too, and
\`release\` releases them with the service's.`,
  subcommands: [
    { name: 'status', summary: 'Show who holds the deploy lock', run: status },
    {
      name: 'acquire',
      summary: 'Take the deploy lock by hand (deploys fail until it is released)',
      options: { message: { type: 'string', short: 'm', value: 'MESSAGE', description: 'Why (required)' } },
      run: acquire,
    },
    { name: 'release', summary: 'Release the deploy lock', run: release },
  ],
};
