// `drover registry …` (Kamal's `kamal registry`): -L skips this machine, -R skips the hosts.
import { UserError } from '@drover/shared';
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { call, loadTarget, onHosts, report } from '../hosts.js';
import { withClient } from '../with-client.js';

const SKIP = {
  'skip-local': { type: 'boolean', short: 'L', description: 'Skip this machine' },
  'skip-remote': { type: 'boolean', short: 'R', description: 'Skip the servers' },
} as const;

async function login(inv: Invocation, command: 'login' | 'setup'): Promise<number> {
  const { config, specifics } = await loadTarget(inv);
  if (config.registry.local) {
    if (command === 'login') throw new UserError('Cannot use login command with a local registry. Use `drover registry setup` instead.');
    inv.io.out(`Local registry ${config.registry.server}: Drover needs no registry container; \`drover deploy\` uploads the image to the controller, which hands it to each agent.`);
    return 0;
  }
  const { registryAuth } = await import('../../plan/op-params.js');
  // The secrets are read only now: a local registry needs none.
  const { secrets } = await loadTarget(inv, { secrets: true });
  const auth = registryAuth(config.registry, secrets);
  if (!auth) throw new UserError(`registry: no username and password configured for ${config.registry.server ?? 'Docker Hub'}`);
  if (inv.options['skip-local'] !== true) {
    const { dockerErrorMessage, dockerFromEnv } = await import('../../operator/docker-client.js');
    const { docker, display } = dockerFromEnv(inv.io.env);
    try {
      await docker.checkAuth({ username: auth.username, password: auth.password, serveraddress: auth.server ?? 'https://index.docker.io/v1/' });
    } catch (err) {
      const { secretRedactor } = await import('@drover/shared/operations/redact');
      throw new UserError(`Registry login to ${auth.server ?? 'Docker Hub'} as ${auth.username} through the Docker daemon at ${display} failed: ${secretRedactor([auth.password])(dockerErrorMessage(err))}`);
    }
    inv.io.out(`Logged in to ${auth.server ?? 'Docker Hub'} on this machine`);
  }
  if (inv.options['skip-remote'] === true) return 0;
  const outcomes = await withClient(inv, (client) => onHosts(specifics.hosts, (host) => call(client, host, 'registry.login', { registry: auth })));
  return report(inv, 'Registry', outcomes, (r) => `${r.status} (${r.server})`);
}

async function logout(inv: Invocation, command: 'logout' | 'remove'): Promise<number> {
  const { config } = await loadTarget(inv);
  if (config.registry.local && command === 'logout') throw new UserError('Cannot use logout command with a local registry. Use `drover registry remove` instead.');
  inv.io.out(config.registry.local
    ? 'Local registry: Drover runs no registry container, so there is nothing to stop.'
    : 'Drover keeps no registry credentials: not on the servers (each pull logs in with the credentials it carries and keeps none) nor on this machine (the Docker Engine API login stores nothing). Nothing to log out of.');
  return 0;
}

export const registryCommand: CommandSpec = {
  name: 'registry',
  summary: 'Log in and out of the image registry',
  subcommands: [
    { name: 'setup', summary: 'Log in to the registry on this machine and the servers (a local registry needs nothing)', options: SKIP, run: (inv) => login(inv, 'setup') },
    { name: 'remove', summary: 'Log out of the registry (Drover stores no credentials: says so)', options: SKIP, run: (inv) => logout(inv, 'remove') },
    { name: 'login', summary: 'Check the registry credentials on this machine and log in from the servers', options: SKIP, run: (inv) => login(inv, 'login') },
    { name: 'logout', summary: 'Log out of the registry (Drover stores no credentials: says so)', options: SKIP, run: (inv) => logout(inv, 'logout') },
  ],
};
