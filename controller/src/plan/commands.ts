// Kamal's mutating subcommands (`app …`, `proxy …`, `accessory …`, `prune …`, `build pull`) as plans. Pure: no I/O, no clock.
// Every one runs under the deploy lock (Kamal §1.12), except `app stale_containers` without `stop` and `build pull`.
import { UserError } from '@drover/shared';
import type { ResolvedAccessory, ResolvedConfig, ResolvedRole } from '@drover/shared/config';
import * as P from './op-params.js';
import { appBootPhases, checkAgents, hook, ops, perHost, prunePhase, pullPhases } from './plan.js';
import type { Specifics } from './selection.js';
import { ROLLOUT_HOOKS, SUBCOMMANDS, type RolloutHook, type CommandOptions, type OpCall, type Phase, type PlanCommand, type PlanInput, type Subcommand } from './types.js';

/** The hooks a command's rollout can reach (the operator's machine runs them): all for the main commands. */
export function hooksFiredBy(command: PlanCommand): readonly RolloutHook[] {
  if (!isSubcommand(command)) return ROLLOUT_HOOKS;
  if (command === 'app boot') return ['pre-app-boot', 'post-app-boot'];
  if (command === 'proxy reboot') return ['pre-proxy-reboot', 'post-proxy-reboot'];
  return [];
}

export function isSubcommand(command: PlanCommand): command is Subcommand {
  return (SUBCOMMANDS as readonly string[]).includes(command);
}

/** The options each subcommand takes; any other option is refused. */
const OPTIONS: Partial<Record<PlanCommand, readonly (keyof CommandOptions)[]>> = {
  'app maintenance': ['drainTimeout', 'message'],
  'app stale_containers': ['stop'],
  'proxy reboot': ['rolling'],
  'proxy remove': ['force'],
  'prune containers': ['retain'],
  'accessory boot': ['accessories'],
  'accessory reboot': ['accessories'],
  'accessory start': ['accessories'],
  'accessory stop': ['accessories'],
  'accessory restart': ['accessories'],
  'accessory remove': ['accessories'],
};

/** Refuses options the command does not take (a main command takes none). */
export function checkOptions(command: PlanCommand, options: CommandOptions = {}): void {
  const allowed = OPTIONS[command] ?? [];
  const extra = (Object.keys(options) as (keyof CommandOptions)[]).filter((k) => options[k] !== undefined && !allowed.includes(k));
  if (extra.length > 0) throw new UserError(`${command} does not take the option${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`);
}

/** Plans a subcommand; only the hosts it acts on must be connected agents. */
export function subcommandPhases(input: PlanInput & { command: Subcommand }, s: Specifics): Phase[] {
  checkOptions(input.command, input.options);
  const phases = PHASES[input.command](input, s, input.options ?? {});
  checkAgents(input, touchedHosts(phases));
  return phases;
}

/** Hosts that run an operation in the plan, in first-use order. */
export function touchedHosts(phases: Phase[]): string[] {
  const hosts = phases.flatMap((p) => (p.kind === 'ops' ? p.tasks.map((t) => t.host) : p.kind === 'boot' ? p.hosts : []));
  return [...new Set(hosts)];
}

type Build = (input: PlanInput, s: Specifics, options: CommandOptions) => Phase[];

const locked = (phases: Phase[]): Phase[] => [{ kind: 'lock' }, ...phases, { kind: 'unlock' }];

/** One operation per (app host, role on it). */
function perRole(name: string, hosts: string[], s: Specifics, call: (role: ResolvedRole, host: string) => OpCall | null): Phase[] {
  return ops(name, perHost(hosts, (host) => s.rolesOn(host).flatMap((role) => call(role, host) ?? [])));
}

/** One operation per proxy host. */
function perProxyHost(name: string, s: Specifics, call: (host: string) => OpCall): Phase[] {
  return ops(name, perHost(s.proxyHosts, (host) => [call(host)]));
}

const PHASES: Record<Subcommand, Build> = {
  // `docker run` pulls a missing image; the agent's boot does not, so the hosts pull first (a local registry's image is already there from the deploy).
  'app boot': (input, s) => [...(input.config.registry.local ? [] : pullPhases(input, s)), ...locked(appBootPhases(input, s))],
  // Kamal's `build pull` takes no lock.
  'build pull': (input, s) => pullPhases(input, s),
  'app start': ({ config, performer }, s) => locked(perRole('app start', s.appHosts, s, (r) => ({ op: 'app.start', params: P.appStartParams(config, r, performer) }))),
  'app stop': ({ config, performer }, s) => locked(perRole('app stop', s.appHosts, s, (r) => ({ op: 'app.stop', params: P.appStopParams(config, r, performer) }))),
  'app remove': (input, s) => locked(appRemovePhase(input, s)),
  'app live': ({ config, performer }, s) => locked(perRole('app live', s.proxyHosts, s, (r) => (r.proxy ? { op: 'app.live', params: P.appLiveParams(config, r, performer) } : null))),
  'app maintenance': maintenancePhases,
  'app stale_containers': staleContainersPhases,
  'proxy boot': ({ config, secrets, performer }, s) => locked(perProxyHost('proxy boot', s, (h) => ({ op: 'proxy.boot', params: P.proxyBootParams(config, h, secrets, performer) }))),
  'proxy reboot': proxyRebootPhases,
  'proxy start': ({ config, performer }, s) => locked(proxyStart(config, performer, s)),
  'proxy stop': ({ config, performer }, s) => locked(proxyStop(config, performer, s)),
  'proxy restart': ({ config, performer }, s) => locked([...proxyStop(config, performer, s), ...proxyStart(config, performer, s)]),
  'proxy remove': ({ config, performer }, s, o) => locked(perProxyHost('proxy remove', s, () => ({ op: 'proxy.remove', params: P.proxyRemoveParams(config, performer, o.force ?? false) }))),
  'accessory boot': (input, s, o) => accessoryPhases(input, s, o, 'boot', (acc) => ({ op: 'accessory.boot', params: P.accessoryBootParams(input.config, acc, input.secrets, input.assets, input.performer) })),
  'accessory reboot': (input, s, o) => accessoryPhases(input, s, o, 'reboot', (acc) => ({ op: 'accessory.reboot', params: P.accessoryBootParams(input.config, acc, input.secrets, input.assets, input.performer) })),
  'accessory start': (input, s, o) => accessoryPhases(input, s, o, 'start', (acc) => ({ op: 'accessory.start', params: P.accessorySimpleParams(input.config, acc, input.performer) })),
  'accessory stop': (input, s, o) => accessoryPhases(input, s, o, 'stop', (acc) => ({ op: 'accessory.stop', params: P.accessorySimpleParams(input.config, acc, input.performer) })),
  'accessory restart': (input, s, o) => accessoryPhases(input, s, o, 'restart', (acc) => ({ op: 'accessory.restart', params: P.accessorySimpleParams(input.config, acc, input.performer) })),
  'accessory remove': (input, s, o) => accessoryPhases(input, s, o, 'remove', (acc) => ({ op: 'accessory.remove', params: P.accessoryRemoveParams(input.config, acc, input.performer) })),
  'prune all': ({ config, performer }, s) => locked(prunePhase(config, s.hosts, performer)),
  'prune images': ({ config, performer }, s) => locked(ops('prune images', perHost(s.hosts, () => [{ op: 'prune.images', params: P.pruneImagesParams(config, performer) }]))),
  'prune containers': pruneContainersPhases,
};

/** Kamal's `app remove`: images and directories go only on hosts where every role of the host is selected. */
export function appRemovePhase({ config, performer }: PlanInput, s: Specifics): Phase[] {
  const wholeHost = (host: string) => config.roles.filter((r) => r.hosts.some((h) => h.host === host)).every((r) => s.rolesOn(host).some((x) => x.name === r.name));
  return perRole('app remove', s.appHosts, s, (r, host) => ({ op: 'app.remove', params: P.appRemoveParams(config, r, performer, wholeHost(host)) }));
}

/** `kamal-proxy stop` for each proxied role on the proxy hosts. */
function maintenancePhases({ config, performer }: PlanInput, s: Specifics, o: CommandOptions): Phase[] {
  const drain = o.drainTimeout ?? config.timeouts.drain;
  return locked(perRole('app maintenance', s.proxyHosts, s, (r) => (r.proxy ? { op: 'app.maintenance', params: P.appMaintenanceParams(config, r, performer, drain, o.message ?? null) } : null)));
}

/** Takes the lock only when it stops containers (Kamal's `with_lock_if_stopping`). */
function staleContainersPhases({ config, performer }: PlanInput, s: Specifics, o: CommandOptions): Phase[] {
  const stop = o.stop ?? false;
  const phases = perRole('stale containers', s.appHosts, s, (r) => ({ op: 'app.stale_containers', params: P.staleContainersParams(config, r, performer, stop) }));
  return stop ? locked(phases) : phases;
}

/** Per host group (one host each with `rolling`, else all proxy hosts): pre-proxy-reboot, reboot, post-proxy-reboot. */
function proxyRebootPhases(input: PlanInput, s: Specifics, o: CommandOptions): Phase[] {
  const { config, secrets, performer } = input;
  const groups = o.rolling ? s.proxyHosts.map((h) => [h]) : s.proxyHosts.length > 0 ? [s.proxyHosts] : [];
  return locked(groups.flatMap((hosts) => [
    ...hook(input, 'pre-proxy-reboot', hosts),
    ...ops('proxy reboot', perHost(hosts, (h) => [{ op: 'proxy.reboot', params: P.proxyBootParams(config, h, secrets, performer) }])),
    ...hook(input, 'post-proxy-reboot', hosts),
  ]));
}

function proxyStart(config: ResolvedConfig, performer: string, s: Specifics): Phase[] {
  return perProxyHost('proxy start', s, () => ({ op: 'proxy.start', params: P.scope(config, performer) }));
}

function proxyStop(config: ResolvedConfig, performer: string, s: Specifics): Phase[] {
  return perProxyHost('proxy stop', s, () => ({ op: 'proxy.stop', params: { ...P.scope(config, performer), stopTimeout: null } }));
}

/** Kamal's `retain must be at least 1`; default `retain_containers`. */
function pruneContainersPhases({ config, performer }: PlanInput, s: Specifics, o: CommandOptions): Phase[] {
  const retain = o.retain ?? config.retainContainers;
  if (retain < 1) throw new UserError('retain must be at least 1');
  return locked(ops('prune containers', perHost(s.hosts, () => [{ op: 'prune.containers', params: P.pruneContainersParams(config, performer, retain) }])));
}

/** One phase per accessory, in the order named (`all`: config order), each on its selected hosts. */
function accessoryPhases(input: PlanInput, s: Specifics, o: CommandOptions, verb: string, call: (acc: ResolvedAccessory) => OpCall): Phase[] {
  return locked(namedAccessories(input.config, o.accessories, verb).flatMap((acc) =>
    ops(`accessory ${verb} ${acc.name}`, perHost(acc.hosts.filter((h) => s.hosts.includes(h)), () => [call(acc)]))));
}

/** Names (or `all`) → accessories; an unknown name fails with Kamal's message. */
export function namedAccessories(config: ResolvedConfig, names: string[] | undefined, verb: string): ResolvedAccessory[] {
  if (!names || names.length === 0) throw new UserError(`accessory ${verb} needs an accessory name (or all)`);
  if (names.includes('all')) return config.accessories;
  return [...new Set(names)].map((name) => {
    const acc = config.accessories.find((a) => a.name === name);
    if (acc) return acc;
    const options = config.accessories.map((a) => a.name);
    throw new UserError(`No accessory by the name of '${name}'${options.length > 0 ? ` (options: ${toSentence(options)})` : ''}`);
  });
}

/** Ruby's `Array#to_sentence`: `a`, `a and b`, `a, b, and c`. */
export function toSentence(words: string[]): string {
  if (words.length <= 2) return words.join(' and ');
  return `${words.slice(0, -1).join(', ')}, and ${words.at(-1)}`;
}
