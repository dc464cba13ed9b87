// `drover server …` (Kamal's `kamal server`). There is no SSH: `exec` runs the command in a container on
// each host that shares the host's processes, network and filesystem (chroot into it), and `bootstrap`
// has nothing to install, since a host's agent only runs where Docker already does.
import { UserError } from '@drover/shared';
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { loadTarget } from '../hosts.js';
import { withClient } from '../with-client.js';
import { checkExecOptions, EXEC_OPTIONS, runExecCalls, runInteractive, type ExecCall } from './exec.js';

async function exec(inv: Invocation): Promise<number> {
  checkExecOptions(inv);
  const t = await loadTarget(inv, { secrets: true, version: 'latest' });
  const { config, specifics, secrets, performer } = t;
  const role = specifics.primaryRole ?? specifics.roles[0];
  if (!role) throw new UserError('server exec: no role is selected (the command runs in a container of the app image)');
  const { appExecParams } = await import('../../plan/read-params.js');
  const interactive = inv.options.interactive === true;
  const hosts = interactive ? [specifics.primaryHost!] : specifics.hosts;
  const line = inv.args.join(' ');
  const calls: ExecCall[] = hosts.map((host) => {
    const params = appExecParams(config, role, host, secrets, performer, { command: ['chroot', '/host', '/bin/sh', '-c', line], reuse: false, interactive, env: {}, detach: false });
    return {
      host, label: host, op: 'app.exec',
      // The host's own namespaces and root: what `ssh host cmd` would see.
      params: { ...params, roleEnv: { clear: {}, secrets: {} }, volumes: ['/:/host'], options: { pid: 'host', network: 'host' }, audit: `Executed cmd '${line}' on ${host}` },
    };
  });
  if (interactive) return runInteractive(inv, calls[0]!);
  if (inv.globals.verbosity !== 'quiet' && !inv.options.raw) {
    inv.io.out(`Running '${line}' on ${hosts.join(', ')}... (in a container of ${config.image.latestRef} sharing each host's processes, network and filesystem: Drover has no SSH)`);
  }
  return runExecCalls(inv, 'App', calls);
}

async function bootstrap(inv: Invocation): Promise<number> {
  const { config, specifics } = await loadTarget(inv);
  const agents = await withClient(inv, (c) => c.listAgents());
  const byName = new Map(agents.map((a) => [a.name, a]));
  const missing: string[] = [];
  for (const host of specifics.hosts) {
    const a = byName.get(host);
    if (!a) missing.push(`${host}: no enrolled agent has this name`);
    else inv.io.out(`${host}: Docker ${a.dockerVersion ?? '(version unknown)'}, agent ${a.online ? 'connected' : 'offline'}`);
  }
  inv.io.out('Docker is installed with each host\'s agent (`curl …/install.sh | sh`); Drover has nothing to install over SSH.');
  if (missing.length) throw new UserError(`${missing.length} host${missing.length === 1 ? '' : 's'} of ${config.service} have no agent`, { details: missing });
  if (!inv.globals.skipHooks) {
    const { existingHooks } = await import('../../operator/hooks.js');
    if (existingHooks(inv.io.cwd, config.hooks.path).includes('docker-setup')) {
      const { loadProject } = await import('../../operator/project.js');
      const { FlowContext } = await import('../../operator/deploy-flow.js');
      const project = await loadProject({ cwd: inv.io.cwd, env: inv.io.env, configFile: inv.globals.configFile, destination: inv.globals.destination, version: inv.globals.version });
      await new FlowContext({ command: 'server bootstrap', json: inv.globals.json, verbosity: inv.globals.verbosity, selection: inv.globals.selection, env: inv.io.env }, project, inv.io, Date.now()).hook('docker-setup', specifics.hosts);
    }
  }
  return 0;
}

export const serverCommand: CommandSpec = {
  name: 'server',
  summary: 'Run commands on the servers, check their setup',
  subcommands: [
    {
      name: 'exec', summary: 'Run a custom command on the servers (in a container sharing the host: there is no SSH)',
      usage: 'CMD...', args: { min: 1, max: null }, commandLine: true, options: EXEC_OPTIONS, run: exec,
    },
    { name: 'bootstrap', summary: 'Check Docker and the agent on the servers, then run the docker-setup hook', run: bootstrap },
  ],
};
