import { isUserError, UserError } from '@drover/shared';
import type { Command } from '../command.js';
import { GLOBAL_OPTIONS_HELP, globalSettings, parseKamalArgs } from '../args/kamal-options.js';
import type { DeployCommandName, Output } from '../../operator/deploy-flow.js';
import { withClient } from '../with-client.js';

interface Spec {
  summary: string;
  usage: string;
  /** Options beyond the global ones. */
  extra: Record<string, { type: 'boolean' | 'string'; short?: string }>;
  positional: 'none' | 'version';
}

const BUILD_OPTIONS = `  -P, --skip-push              Skip the image build and push (the hosts pull the version)
      --no-cache               Build without Docker's build cache
      --detach                 Start the deployment and return (follow it with \`drover deployments watch ID\`)`;

const SPECS: Record<DeployCommandName, Spec> = {
  deploy: {
    summary: 'Deploy the app to its hosts (build, push, pull, kamal-proxy, zero-downtime boot, prune)',
    usage: `Usage: drover deploy [options]\n\n${BUILD_OPTIONS}\n\nHosts in deploy.yml are agent names (see \`drover agents\`).`,
    extra: { 'skip-push': { type: 'boolean', short: 'P' }, 'no-cache': { type: 'boolean' }, detach: { type: 'boolean' } },
    positional: 'none',
  },
  redeploy: {
    summary: 'Deploy the app without booting kamal-proxy, accessories or pruning',
    usage: `Usage: drover redeploy [options]\n\n${BUILD_OPTIONS}`,
    extra: { 'skip-push': { type: 'boolean', short: 'P' }, 'no-cache': { type: 'boolean' }, detach: { type: 'boolean' } },
    positional: 'none',
  },
  setup: {
    summary: 'Boot the accessories and deploy the app (hosts already have Docker through their agent)',
    usage: `Usage: drover setup [options]\n\n${BUILD_OPTIONS}`,
    extra: { 'skip-push': { type: 'boolean', short: 'P' }, 'no-cache': { type: 'boolean' }, detach: { type: 'boolean' } },
    positional: 'none',
  },
  rollback: {
    summary: 'Boot an earlier version that still has a container on every host',
    usage: 'Usage: drover rollback VERSION [options]\n\n      --detach                 Start the rollback and return',
    extra: { detach: { type: 'boolean' } },
    positional: 'version',
  },
  remove: {
    summary: 'Remove the app, kamal-proxy (where no other app uses it) and the accessories from the hosts',
    usage: 'Usage: drover remove [options]\n\n  -y, --confirmed              Do not ask for confirmation',
    extra: { confirmed: { type: 'boolean', short: 'y' } },
    positional: 'none',
  },
};

const stdio: Output = { out: (line) => console.log(line), err: (line) => console.error(line) };

async function run(name: DeployCommandName, argv: string[], io: Output): Promise<number> {
  const spec = SPECS[name];
  const usage = `${spec.usage}\n\n${GLOBAL_OPTIONS_HELP}`;
  const { values, positionals } = parseKamalArgs(argv, spec.extra, usage);
  if (values.help) return (io.out(usage), 0);
  const settings = globalSettings(values, usage);
  let version = values.version as string | undefined;
  if (spec.positional === 'version') {
    if (positionals.length !== 1) throw new UserError(`expected exactly one VERSION\n\n${usage}`, { exitCode: 64 });
    version = positionals[0];
  } else if (positionals.length > 0) {
    throw new UserError(`unexpected argument "${positionals[0]}"\n\n${usage}`, { exitCode: 64 });
  }
  if (name === 'remove' && !values.confirmed) {
    throw new UserError('This will remove all containers and images. Run again with -y (--confirmed) to go ahead.', { exitCode: 1 });
  }
  const { runDeployFlow } = await import('../../operator/deploy-flow.js');
  const flow = withClient((client) => runDeployFlow({
      command: name, cwd: process.cwd(), configFile: values['config-file'] as string | undefined, destination: values.destination as string | undefined,
      version, selection: settings.selection, skipPush: Boolean(values['skip-push']), noCache: Boolean(values['no-cache']),
      skipHooks: Boolean(values['skip-hooks']), detach: Boolean(values.detach), json: Boolean(values.json),
    verbosity: settings.verbosity, lockWait: settings.lockWait,
  }, client, io));
  if (!values.json) return flow;
  // Scripts reading --json get a result object for a refusal too (bad config, offline hosts, …).
  return flow.catch((err: unknown) => {
    if (!isUserError(err)) throw err;
    io.out(JSON.stringify({ result: { status: 'failed', error: err.message, details: err.details, exitCode: err.exitCode || 1 } }));
    return err.exitCode || 1;
  });
}

/** `drover deploy|redeploy|setup|rollback|remove`, one Command each. */
export function deployCommand(name: DeployCommandName, io: Output = stdio): Command {
  return { summary: SPECS[name].summary, run: (argv) => run(name, argv, io) };
}
