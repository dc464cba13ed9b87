// `drover app …` (Kamal's `kamal app`): changes run by the controller under the lock; reads and exec
// go host by host through the controller to the agents.
import { usageError } from '../framework/errors.js';
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { loadTarget } from '../hosts.js';
import * as reads from './app-reads.js';
import { checkExecOptions, EXEC_OPTIONS, runExecCalls, runInteractive, type ExecCall } from './exec.js';
import { APP_STEPS } from './internal-steps.js';
import { jobCommand } from './job.js';

/** `-e K=V` (Kamal's hash option also takes `K:V`). */
function envPairs(inv: Invocation): Record<string, string> {
  const values = (inv.options.env as string[] | undefined) ?? [];
  return Object.fromEntries(values.map((v) => {
    const m = /^([^=:]+)[=:](.*)$/s.exec(v);
    if (!m) throw usageError(`--env: expected KEY=VALUE, got "${v}"`, inv.help);
    return [m[1]!, m[2]!];
  }));
}

async function exec(inv: Invocation): Promise<number> {
  checkExecOptions(inv);
  const o = inv.options;
  if (o.detach && (o.interactive || o.reuse)) throw usageError('Detach is not compatible with interactive or reuse', inv.help);
  if (o.raw && o.detach) throw usageError('Raw is not compatible with interactive or detach', inv.help);
  const interactive = o.interactive === true;
  // Kamal runs a new container of the `latest` image unless --version is given; --reuse uses the running one.
  const t = await loadTarget(inv, { secrets: true, version: 'latest' });
  const { appExecParams } = await import('../../plan/read-params.js');
  const { config, specifics, secrets, performer } = t;
  const { shellSplit } = await import('@drover/shared/secrets/shellwords');
  // Kamal joins the words and the host's shell splits them again: `drover app exec 'bin/rails about'` works.
  const execOptions = { command: shellSplit(inv.args.join(' ')), reuse: o.reuse === true, interactive, env: envPairs(inv), detach: o.detach === true };
  const hosts = interactive ? [specifics.primaryHost!].filter(Boolean) : specifics.appHosts;
  const calls: ExecCall[] = hosts.flatMap((host) => (interactive ? specifics.rolesOn(host).slice(0, 1) : specifics.rolesOn(host)).map((role) => ({
    host, label: specifics.rolesOn(host).length > 1 ? `${host} (${role.name})` : host, op: 'app.exec' as const,
    params: appExecParams(config, role, host, secrets, performer, execOptions),
  })));
  if (calls.length === 0) throw usageError('no app host is selected', inv.help);
  if (interactive) return runInteractive(inv, calls[0]!);
  if (inv.globals.verbosity !== 'quiet' && !o.raw) {
    inv.io.out(o.reuse ? `Launching command from existing container...` : `Launching command with version ${config.version} from new container...`);
  }
  return runExecCalls(inv, 'App', calls);
}

const text = (inv: Invocation, name: string) => (typeof inv.options[name] === 'string' ? inv.options[name] as string : undefined);

function drainTimeout(inv: Invocation): number | undefined {
  const v = text(inv, 'drain-timeout');
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw usageError(`--drain-timeout: expected seconds, got "${v}"`, inv.help);
  return Number(v);
}

const staleStop = jobCommand('stale_containers', 'app stale_containers', { summary: 'Stop stale containers', commandOptions: () => ({ stop: true }) });

export const appCommand: CommandSpec = {
  name: 'app',
  summary: 'Manage the application (boot, start, stop, exec, logs, maintenance, …)',
  subcommands: [
    jobCommand('boot', 'app boot', { summary: 'Boot the app on the servers (or reboot it); version `latest` unless --version', defaultVersion: 'latest' }),
    jobCommand('start', 'app start', { summary: 'Start existing app containers on the servers (kamal-proxy routes to them again)' }),
    jobCommand('stop', 'app stop', { summary: 'Stop the app containers on the servers (kamal-proxy stops routing to them first)' }),
    { name: 'details', summary: 'Show details about the app containers', run: reads.details },
    {
      name: 'exec', summary: 'Execute a custom command on the servers within the app containers (use --help to show options)',
      usage: 'CMD...', args: { min: 1, max: null }, commandLine: true,
      options: {
        ...EXEC_OPTIONS,
        reuse: { type: 'boolean', description: 'Run in the running container (docker exec) instead of a new one' },
        env: { type: 'string', short: 'e', multiple: true, value: 'KEY=VALUE', description: 'Extra environment for this command' },
        detach: { type: 'boolean', description: 'Leave the container running in the background (not with -i or --reuse)' },
      },
      run: exec,
    },
    { name: 'containers', summary: 'Show the app containers on the servers (all versions and states)', run: reads.containers },
    {
      name: 'stale_containers', aliases: ['stale-containers'], summary: 'Detect app containers running a version other than the current one, and optionally stop them',
      options: { stop: { type: 'boolean', short: 's', description: 'Stop the stale containers (takes the deploy lock)' }, detach: { type: 'boolean', description: 'With --stop: start it and return' } },
      run: (inv) => (inv.options.stop ? staleStop.run!(inv) : reads.staleContainers(inv)),
    },
    { name: 'images', summary: 'Show the app images on the servers', run: reads.images },
    {
      name: 'logs', summary: 'Show log lines from the app on the servers (use --help to show options)',
      options: { ...reads.LOG_OPTIONS, 'container-id': { type: 'string', value: 'ID', description: 'A container (for an old version)' } },
      run: reads.logs,
    },
    jobCommand('remove', 'app remove', { summary: 'Remove the app containers, images and app directories from the servers' }),
    jobCommand('live', 'app live', { summary: 'Set the app to live mode (kamal-proxy resumes serving it)' }),
    jobCommand('maintenance', 'app maintenance', {
      summary: 'Set the app to maintenance mode (kamal-proxy answers 503 with the error page)',
      options: {
        'drain-timeout': { type: 'string', value: 'SECONDS', description: "How long to let in-flight requests finish (default: the config's drain_timeout)" },
        message: { type: 'string', value: 'TEXT', description: 'A message for the maintenance page' },
      },
      commandOptions: (inv) => ({ drainTimeout: drainTimeout(inv), message: text(inv, 'message') }),
    }),
    { name: 'version', summary: 'Show the app version running on each server', run: reads.version },
    ...APP_STEPS,
  ],
};
