// `drover build …` (Kamal's `kamal build`): Drover builds through the Docker Engine API on this machine
// (no buildx builder to create or remove); the servers pull through their agents.
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { withClient } from '../with-client.js';
import { jobCommand } from './job.js';

async function push(inv: Invocation): Promise<number> {
  const { globals } = inv;
  const { runBuildFlow } = await import('../../operator/deploy-flow.js');
  return withClient(inv, (client) => runBuildFlow({
    cwd: inv.io.cwd, env: inv.io.env, configFile: globals.configFile, destination: globals.destination, version: globals.version,
    noCache: inv.options['no-cache'] === true, skipHooks: globals.skipHooks, json: globals.json, verbosity: globals.verbosity, selection: globals.selection,
  }, client, inv.io));
}

const pull = jobCommand('pull', 'build pull', { summary: 'Pull the app image on the servers (one host per registry mirror first)' });

async function deliver(inv: Invocation): Promise<number> {
  const pushed = await push(inv);
  return pushed === 0 ? pull.run!(inv) : pushed;
}

/** Kamal's `build dev`: the working tree, uncommitted changes included, tagged `<version>-dirty` on this machine only. */
async function dev(inv: Invocation): Promise<number> {
  const { loadConfig } = await import('@drover/shared/config');
  const { loadProject } = await import('../../operator/project.js');
  const { buildAndPush } = await import('../../operator/build.js');
  const { registryAuth } = await import('../../plan/op-params.js');
  const { cwd, env } = inv.io;
  const load = { cwd, env, configFile: inv.globals.configFile, destination: inv.globals.destination };
  const version = `${inv.globals.version ?? (await loadConfig(load)).version}-dirty`;
  const project = await loadProject({ ...load, version });
  const say = (line: string) => { if (inv.globals.verbosity !== 'quiet') inv.io.out(`  ${line}`); };
  const { image } = await buildAndPush({
    config: project.config, projectDir: project.dir, registry: registryAuth(project.config.registry, project.secrets), noCache: inv.options['no-cache'] === true,
    say, output: inv.globals.verbosity === 'verbose' ? say : () => undefined, env, push: false, workingTree: true,
  });
  inv.io.out(`Built ${image} from the working tree (not pushed)`);
  return 0;
}

async function details(inv: Invocation): Promise<number> {
  const { dockerFromEnv } = await import('../../operator/docker-client.js');
  const { docker, display } = dockerFromEnv(inv.io.env);
  const info = await docker.info().catch(() => null);
  inv.io.out('Builder: local');
  inv.io.out(info ? `Docker Engine API at ${display}: ${String(info.ServerVersion)} ${String(info.OSType)}/${String(info.Architecture)}` : `Docker Engine API at ${display}: not reachable`);
  return 0;
}

function noBuilder(action: 'create' | 'remove'): CommandSpec {
  return {
    name: action,
    summary: action === 'create' ? 'Create a build setup (Drover needs none: says so)' : 'Remove the build setup (Drover has none: says so)',
    async run(inv) {
      inv.io.out(`Drover builds through the Docker Engine API of this machine: there is no buildx builder to ${action}.`);
      return 0;
    },
  };
}

const NO_CACHE = { 'no-cache': { type: 'boolean', description: "Build without Docker's build cache" } } as const;

export const buildCommand: CommandSpec = {
  name: 'build',
  summary: 'Build the application image',
  subcommands: [
    { name: 'deliver', summary: 'Build the app and push it to the registry, then pull it on the servers', options: NO_CACHE, run: deliver },
    {
      name: 'push', summary: 'Build the app and push it to the registry (a local registry: upload it to the controller)',
      options: { ...NO_CACHE, output: { type: 'string', value: 'TYPE', description: 'Kamal passes this to buildx; Drover always pushes (or uploads, for a local registry)' } },
      run: push,
    },
    pull,
    { name: 'dev', summary: 'Build the working tree (uncommitted changes included) as <version>-dirty, on this machine only', options: NO_CACHE, run: dev },
    noBuilder('create'),
    noBuilder('remove'),
    { name: 'details', summary: 'Show the build setup', run: details },
  ],
};
