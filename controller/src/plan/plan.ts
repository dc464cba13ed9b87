// The planner: resolved config + agents + selection → the phases of a rollout. Pure: no I/O, no clock.
import { UserError } from '@drover/shared';
import type { ResolvedConfig } from '@drover/shared/config';
import { NEW_VERSION_COMMANDS } from './auto-rollback.js';
import { appRemovePhase, checkOptions, isSubcommand, subcommandPhases } from './commands.js';
import * as P from './op-params.js';
import { selectSpecifics, withoutHosts, type Specifics } from './selection.js';
import type { BootTask, HostTask, OpCall, Phase, Plan, PlanInput, RolloutHook } from './types.js';

/**
 * Plans `deploy`, `redeploy`, `setup`, `rollback` or `remove` in Kamal's order (reference §4), or one of
 * Kamal's mutating subcommands (`commands.ts`).
 */
export function planRollout(input: PlanInput): Plan {
  const selected = selectSpecifics(input.config, input.selection);
  const { specifics, skipped, prelude } = isSubcommand(input.command) ? { specifics: selected, skipped: [], prelude: [] } : applyOfflinePolicy(input, selected);
  return {
    command: input.command,
    service: input.config.service,
    destination: input.config.destination,
    version: input.config.version,
    lockKey: input.config.serviceAndDestination,
    primaryRole: specifics.primaryRole?.name ?? null,
    primaryHost: specifics.primaryHost,
    roles: specifics.roles.map((r) => r.name),
    hosts: specifics.hosts,
    phases: [...prelude, ...planPhases(input, specifics)],
    skippedHosts: skipped,
    autoRollback: input.config.drover.autoRollback && NEW_VERSION_COMMANDS.has(input.command),
  };
}

function planPhases(input: PlanInput, s: Specifics): Phase[] {
  const { command } = input;
  if (isSubcommand(command)) return subcommandPhases({ ...input, command }, s);
  checkOptions(command, input.options);
  return PHASES[command](input, s);
}

/**
 * Unknown agents always fail the plan. Selected agents that are not connected: `x-drover/offline` fails
 * the plan naming each (Kamal's behaviour), skips them with a line saying so, or waits for them first.
 */
function applyOfflinePolicy(input: PlanInput, s: Specifics): { specifics: Specifics; skipped: string[]; prelude: Phase[] } {
  const policy = input.config.drover.offline;
  const offline = s.hosts.filter((h) => input.agents[h] && !input.agents[h]!.online);
  const offlineSet = new Set(offline);
  checkAgents(input, policy === 'fail' ? s.hosts : s.hosts.filter((h) => !offlineSet.has(h)));
  if (offline.length === 0) return { specifics: s, skipped: [], prelude: [] };
  const list = offline.map((h) => `${h} (${lastSeen(input.agents[h]!)})`).join(', ');
  if (policy === 'wait') {
    const seconds = input.config.drover.agentTimeout;
    return { specifics: s, skipped: [], prelude: [{ kind: 'say', text: `Waiting up to ${seconds}s for agents to connect: ${list}...` }, { kind: 'await_agents', hosts: offline, seconds }] };
  }
  const rest = withoutHosts(s, offline);
  if (rest.hosts.length === 0) throw new UserError(`no selected agent is connected: ${list}`);
  const primaryLeft = s.primaryRole && rest.appHosts.some((h) => s.rolesOn(h).includes(s.primaryRole!));
  if (s.primaryRole && s.appHosts.length > 0 && !primaryLeft) throw new UserError(`no agent of the primary role ${s.primaryRole.name} is connected: ${list}`);
  return { specifics: rest, skipped: offline, prelude: [{ kind: 'say', text: `Skipping agents that are not connected: ${list}` }] };
}

function lastSeen(agent: { lastSeen: number | null }): string {
  return agent.lastSeen === null ? 'never connected' : `last seen ${new Date(agent.lastSeen).toISOString()}`;
}

const PHASES: Record<'deploy' | 'redeploy' | 'rollback' | 'setup' | 'remove', (input: PlanInput, s: Specifics) => Phase[]> = {
  deploy: (input, s) => deployPhases(input, s, { proxy: true, accessories: false, prune: true }),
  redeploy: (input, s) => deployPhases(input, s, { proxy: false, accessories: false, prune: false }),
  setup: (input, s) => [
    { kind: 'say', text: 'Ensure Docker is installed...' },
    ...hook(input, 'docker-setup', s.hosts),
    ...deployPhases(input, s, { proxy: true, accessories: true, prune: true }),
  ],
  rollback: rollbackPhases,
  remove: removePhases,
};

/** Every host the plan acts on must be an enrolled, connected agent: checked before anything runs. */
export function checkAgents(input: PlanInput, hosts: string[]): void {
  const problems: string[] = [];
  for (const host of hosts) {
    const agent = input.agents[host];
    if (!agent) problems.push(`${host}: no enrolled agent has this name (deploy.yml hosts are agent names; \`drover agents\` lists them)`);
    else if (!agent.online) {
      problems.push(`agent ${host}: not connected (${lastSeen(agent)})`);
    }
  }
  if (problems.length === 1) throw new UserError(problems[0]!);
  if (problems.length > 1) throw new UserError(`${problems.length} hosts cannot be reached through their agents`, { details: problems });
}

export function hook(input: PlanInput, name: RolloutHook, hosts: string[]): Phase[] {
  return input.hooks.includes(name) ? [{ kind: 'hook', hook: name, hosts }] : [];
}

export function ops(name: string, tasks: HostTask[]): Phase[] {
  const nonEmpty = tasks.filter((t) => t.calls.length > 0);
  return nonEmpty.length > 0 ? [{ kind: 'ops', name, tasks: nonEmpty }] : [];
}

export function perHost(hosts: string[], calls: (host: string) => OpCall[]): HostTask[] {
  return hosts.map((host) => ({ host, calls: calls(host) }));
}

function deployPhases(input: PlanInput, s: Specifics, steps: { proxy: boolean; accessories: boolean; prune: boolean }): Phase[] {
  const { config, secrets, performer } = input;
  return [
    ...(input.skipPush ? [{ kind: 'say', text: 'Pull app image...' } as const] : []),
    ...pullPhases(input, s),
    { kind: 'lock' },
    ...hook(input, 'pre-deploy', s.hosts),
    ...(steps.proxy ? [{ kind: 'say', text: 'Ensure kamal-proxy is running...' } as const, ...ops('proxy boot', perHost(s.proxyHosts, (h) => [{ op: 'proxy.boot', params: P.proxyBootParams(config, h, secrets, performer) }]))] : []),
    ...(steps.accessories ? accessoryBootPhases(input, s) : []),
    { kind: 'say', text: 'Detect stale containers...' },
    ...ops('stale containers', perHost(s.appHosts, (h) => s.rolesOn(h).map((r) => ({ op: 'app.stale_containers', params: P.staleContainersParams(config, r, performer) })))),
    ...appBootPhases(input, s),
    ...(steps.prune ? [{ kind: 'say', text: 'Prune old containers and images...' } as const, ...prunePhase(config, s.hosts, performer)] : []),
    { kind: 'unlock' },
    ...hook(input, 'post-deploy', s.hosts),
  ];
}

/** Kamal's `build pull`: login, then one host per registry mirror first to seed it, then the rest. */
export function pullPhases(input: PlanInput, s: Specifics): Phase[] {
  const { config, secrets, performer } = input;
  // A local registry (Kamal reaches it through an SSH port forward) is out of the hosts' reach behind
  // NAT: the controller streams the image to each agent instead.
  if (config.registry.local) return ops('load image', perHost(s.appHosts, () => [{ op: 'image.load', params: P.imageLoadParams(config, performer) }]));
  // Kamal's `docker login` then `docker pull`: one operation, which logs in with the credentials it carries.
  const pull = (): OpCall[] => [{ op: 'image.pull', params: P.imagePullParams(config, secrets, performer) }];
  const seeds: string[] = [];
  if (s.appHosts.length > 1) {
    const seen = new Set<string>();
    for (const host of s.appHosts) {
      const mirror = input.agents[host]?.registryMirror;
      if (mirror && !seen.has(mirror)) { seen.add(mirror); seeds.push(host); }
    }
  }
  if (seeds.length === 0) return ops('pull', perHost(s.appHosts, pull));
  return [
    { kind: 'say', text: `Pulling image on ${seeds.join(', ')} to seed the ${seeds.length === 1 ? 'mirror' : 'mirrors'}...` },
    ...ops('pull (mirror seeds)', perHost(seeds, pull)),
    { kind: 'say', text: 'Pulling image on remaining hosts...' },
    ...ops('pull', perHost(s.appHosts.filter((h) => !seeds.includes(h)), pull)),
  ];
}

/** A number of hosts written as a count or as `N%` of `total` (rounded down, at least 1). */
function hostsOf(value: number | string, total: number): number {
  if (typeof value === 'string' && value.endsWith('%')) return Math.max(Math.floor((total * parseInt(value, 10)) / 100), 1);
  return Number(value);
}

/** `boot.limit`: a host count, or `N%` of all hosts (accessory hosts included), at least 1. */
export function bootGroupSize(config: ResolvedConfig): number | null {
  return config.boot.limit === null ? null : hostsOf(config.boot.limit, config.hosts.length);
}

/** `x-drover/canary/hosts` of `count` app hosts: a count, or a percentage (at least 1); null without a canary. */
export function canaryGroupSize(config: ResolvedConfig, count: number): number | null {
  const hosts = config.drover.canary?.hosts;
  return hosts === undefined ? null : Math.min(hostsOf(hosts, count), count);
}

/** Boot groups of `boot.limit` hosts; with a canary (commands booting a new version), the canary hosts first. */
function bootGroups(input: PlanInput, hosts: string[]): { groups: string[][]; canary: number | null } {
  const size = Math.max(bootGroupSize(input.config) ?? hosts.length, 1);
  const canary = NEW_VERSION_COMMANDS.has(input.command) ? canaryGroupSize(input.config, hosts.length) : null;
  const groups: string[][] = canary === null ? [] : [hosts.slice(0, canary)];
  for (let i = canary ?? 0; i < hosts.length; i += size) groups.push(hosts.slice(i, i + size));
  return { groups, canary };
}

/** The canary's soak: its hosts' new containers probed until they stayed healthy for the soak time. */
function soakPhases(input: PlanInput, s: Specifics, hosts: string[], more: boolean): Phase[] {
  const seconds = input.config.drover.canary!.soakSeconds;
  const tasks = perHost(hosts, (h) => s.rolesOn(h).map((role) => ({ op: 'app.probe', params: P.appProbeParams(input.config, role, input.performer) }) as const));
  return [
    { kind: 'say', text: `Canary ${hosts.join(', ')}: watching the new version for ${seconds}s${more ? ' before booting the other hosts' : ''}...` },
    { kind: 'soak', seconds, hosts, tasks },
    { kind: 'say', text: `Canary healthy for ${seconds}s${more ? ', booting the other hosts...' : ''}` },
  ];
}

/** Kamal's `app boot`: boot groups with pre/post-app-boot hooks and `boot.wait`, then tag the image as latest. */
export function appBootPhases(input: PlanInput, s: Specifics): Phase[] {
  const { config, secrets, performer, assets } = input;
  const { groups, canary } = bootGroups(input, s.appHosts);
  const phases: Phase[] = [{ kind: 'say', text: `Start container with version ${config.version} (or reboot if already running)...` }];
  groups.forEach((hosts, index) => {
    const tasks: BootTask[] = hosts.flatMap((host) => s.rolesOn(host).map((role) => ({
      host, role: role.name, gatekeeper: role === s.primaryRole,
      call: { op: 'app.boot', params: P.appBootParams(config, role, host, secrets, assets, performer) } as const,
    })));
    phases.push(...hook(input, 'pre-app-boot', hosts));
    phases.push({ kind: 'boot', group: index + 1, hosts, parallelRoles: config.boot.parallelRoles, tasks });
    phases.push(...hook(input, 'post-app-boot', hosts));
    if (config.boot.wait) phases.push({ kind: 'sleep', seconds: config.boot.wait });
    if (index === 0 && canary !== null) phases.push(...soakPhases(input, s, hosts, groups.length > 1));
  });
  const scope = P.scope(config, performer);
  phases.push(...ops('tag latest', perHost(s.appHosts, () => [{ op: 'image.tag', params: { ...scope, image: config.image.ref, tag: config.image.latestRef } }])));
  return phases;
}

/** Kamal's `prune all`: old containers (keeping `retain_containers`), then unused images. */
export function prunePhase(config: ResolvedConfig, hosts: string[], performer: string): Phase[] {
  return ops('prune', perHost(hosts, () => [{ op: 'prune.all', params: P.pruneAllParams(config, performer) }]));
}

function accessoryBootPhases(input: PlanInput, s: Specifics): Phase[] {
  const { config, secrets, performer, assets } = input;
  return ops('accessories', perHost(s.hosts, (host) => config.accessories
    .filter((acc) => acc.hosts.includes(host))
    .map((acc) => ({ op: 'accessory.boot', params: P.accessoryBootParams(config, acc, secrets, assets, performer) }))));
}

/** Kamal's `rollback VERSION`: the version's container must exist on every app host and role, then `app boot`. */
function rollbackPhases(input: PlanInput, s: Specifics): Phase[] {
  const missing = s.appHosts.flatMap((host) => s.rolesOn(host)
    .filter((role) => !(input.agents[host]?.containers ?? []).includes(role.containerName))
    .map((role) => `${host}: ${role.containerName}`));
  if (missing.length > 0) {
    return [{ kind: 'say', text: `The app version '${input.config.version}' is not available as a container (use 'drover app containers' for available versions)` }];
  }
  return [
    { kind: 'lock' },
    ...hook(input, 'pre-deploy', s.hosts),
    ...appBootPhases(input, s),
    { kind: 'unlock' },
    ...hook(input, 'post-deploy', s.hosts),
  ];
}

/** Kamal's `remove`: app remove, proxy remove (only where no other app is left), accessories, under the lock. */
function removePhases(input: PlanInput, s: Specifics): Phase[] {
  const { config, performer } = input;
  return [
    { kind: 'lock' },
    ...appRemovePhase(input, s),
    ...ops('proxy remove', perHost(s.proxyHosts, () => [{ op: 'proxy.remove', params: P.proxyRemoveParams(config, performer, false) }])),
    ...ops('accessory remove', perHost(s.hosts, (host) => config.accessories
      .filter((acc) => acc.hosts.includes(host))
      .map((acc) => ({ op: 'accessory.remove', params: P.accessoryRemoveParams(config, acc, performer) })))),
    { kind: 'unlock' },
  ];
}
