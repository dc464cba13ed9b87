// Kamal's mutating subcommands (`app stop`, `proxy reboot`, `prune all`, …) run by the controller as
// recorded deployments under the deploy lock, followed here like `drover deploy`.
import { confirm } from '../confirm.js';
import type { CommandOptions, Subcommand } from '../../plan/types.js';
import type { CommandSpec, Invocation, OptionSpecs } from '../framework/spec.js';
import { withClient } from '../with-client.js';

export interface JobSpec {
  summary: string;
  description?: string;
  usage?: string;
  args?: { min: number; max: number | null };
  options?: OptionSpecs;
  /** The subcommand's flags for the controller. */
  commandOptions?(inv: Invocation): CommandOptions;
  /** Kamal asks before this (`-y` skips the question; without a terminal it is refused). */
  confirm?: string;
  /** Kamal's `app boot` boots `latest` unless --version is given; the others act on the current version. */
  defaultVersion?: string;
}

const DETACH: OptionSpecs = { detach: { type: 'boolean', description: 'Start it and return (follow it with `drover deployments watch ID`)' } };

async function runJob(command: Subcommand, spec: JobSpec, inv: Invocation): Promise<number> {
  const { globals } = inv;
  if (spec.confirm) await confirm(inv, spec.confirm);
  const commandOptions = spec.commandOptions?.(inv) ?? {};
  const { runDeployFlow } = await import('../../operator/deploy-flow.js');
  return withClient(inv, (client) => runDeployFlow({
    command, commandOptions, cwd: inv.io.cwd, env: inv.io.env, configFile: globals.configFile, destination: globals.destination,
    version: globals.version ?? spec.defaultVersion, selection: globals.selection, skipPush: true, noCache: false,
    skipHooks: globals.skipHooks, detach: inv.options.detach === true, json: globals.json, verbosity: globals.verbosity, lockWait: globals.lockWait,
  }, client, inv.io));
}

/** A subcommand the controller runs: `name` is its word under the group, `command` the deployment's command. */
export function jobCommand(name: string, command: Subcommand, spec: JobSpec): CommandSpec {
  return {
    name, summary: spec.summary, description: spec.description, usage: spec.usage, args: spec.args,
    options: { ...spec.options, ...DETACH },
    run: (inv) => runJob(command, spec, inv),
  };
}
