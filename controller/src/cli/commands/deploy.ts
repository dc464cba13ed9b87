import { isUserError } from '@drover/shared';
import { confirm } from '../confirm.js';
import type { DeployCommandName } from '../../operator/deploy-flow.js';
import type { CommandSpec, Invocation, OptionSpecs } from '../framework/spec.js';
import { withClient } from '../with-client.js';

const BUILD_OPTIONS: OptionSpecs = {
  'skip-push': { type: 'boolean', short: 'P', description: 'Skip the image build and push (the hosts pull the version)' },
  'no-cache': { type: 'boolean', description: "Build without Docker's build cache" },
  detach: { type: 'boolean', description: 'Start the deployment and return (follow it with `drover deployments watch ID`)' },
};

async function run(name: DeployCommandName, inv: Invocation): Promise<number> {
  const { options: o, globals } = inv;
  if (name === 'remove') await confirm(inv, 'This will remove all containers and images.');
  const { runDeployFlow } = await import('../../operator/deploy-flow.js');
  const flow = withClient(inv, (client) => runDeployFlow({
    command: name, cwd: inv.io.cwd, env: inv.io.env, configFile: globals.configFile, destination: globals.destination,
    version: name === 'rollback' ? inv.args[0] : globals.version, selection: globals.selection,
    skipPush: o['skip-push'] === true, noCache: o['no-cache'] === true, skipHooks: globals.skipHooks, detach: o.detach === true,
    json: globals.json, verbosity: globals.verbosity, lockWait: globals.lockWait,
  }, client, inv.io));
  if (!globals.json) return flow;
  // Scripts reading --json get a result object for a refusal too (bad config, offline hosts, …).
  return flow.catch((err: unknown) => {
    if (!isUserError(err)) throw err;
    inv.io.out(JSON.stringify({ result: { status: 'failed', error: err.message, details: err.details, exitCode: err.exitCode || 1 } }));
    return err.exitCode || 1;
  });
}

const SPECS: Record<DeployCommandName, Omit<CommandSpec, 'name' | 'run'>> = {
  deploy: {
    summary: 'Deploy the app to its hosts (build, push, pull, kamal-proxy, zero-downtime boot, prune)',
    description: 'Deploy the app to its hosts: build, push, pull, kamal-proxy, zero-downtime boot, prune.\nHosts in deploy.yml are agent names (see `drover agents`).',
    options: BUILD_OPTIONS,
  },
  redeploy: { summary: 'Deploy the app without booting kamal-proxy, accessories or pruning', options: BUILD_OPTIONS },
  setup: { summary: 'Boot the accessories and deploy the app (hosts already have Docker through their agent)', options: BUILD_OPTIONS },
  rollback: {
    summary: 'Boot an earlier version that still has a container on every host',
    usage: 'VERSION',
    args: { min: 1, max: 1 },
    options: { detach: { type: 'boolean', description: 'Start the rollback and return' } },
  },
  remove: {
    summary: 'Remove the app, kamal-proxy (where no other app uses it) and the accessories from the hosts',
    options: { confirmed: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation' } },
  },
};

/** `drover deploy|redeploy|setup|rollback|remove`. */
export function deployCommand(name: DeployCommandName): CommandSpec {
  return { name, ...SPECS[name], run: (inv) => run(name, inv) };
}
