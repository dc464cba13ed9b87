import type Dockerode from 'dockerode';
import { UserError } from '@drover/shared';
import type { DockerOptions } from '@drover/shared/operations';

/**
 * Kamal's `options:` (extra `docker run` flags) translated into Engine API create options.
 * Flags the agent does not know are refused by name rather than silently ignored.
 */

type Create = Dockerode.ContainerCreateOptions;
type Host = NonNullable<Create['HostConfig']>;
type Value = string | number | boolean | (string | number)[];

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** docker's RAMInBytes: `512m`, `1g`, `1024`, `2GiB`. */
export function parseBytes(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new UserError(`options: --${flag} "${text}" is not a size (e.g. 512m, 1g)`);
  return Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

function durationNs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new UserError(`options: --${flag} "${text}" is not a duration (e.g. 5s)`);
  const mult = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * mult);
}

/** `[ip:]hostPort:containerPort[/proto]` or `containerPort[/proto]` into bindings. */
export function addPublish(create: Create, spec: string): void {
  const [addr, proto = 'tcp'] = spec.split('/');
  let parts = addr!.split(':');
  let hostIp = '';
  if (addr!.startsWith('[')) {
    const end = addr!.indexOf(']');
    hostIp = addr!.slice(1, end);
    parts = addr!.slice(end + 2).split(':');
  } else if (parts.length === 3) {
    hostIp = parts.shift()!;
  }
  const containerPort = parts.length === 1 ? parts[0]! : parts[1]!;
  const hostPort = parts.length === 1 ? '' : parts[0]!;
  if (!/^\d+$/.test(containerPort) || (hostPort !== '' && !/^\d+$/.test(hostPort))) throw new UserError(`publish "${spec}": expected [ip:]host_port:container_port`);
  const key = `${containerPort}/${proto}`;
  create.ExposedPorts = { ...create.ExposedPorts, [key]: {} };
  const host = (create.HostConfig ??= {});
  host.PortBindings ??= {};
  (host.PortBindings[key] ??= []).push({ HostIp: hostIp, HostPort: hostPort });
}

/** A `--volume` entry: `src:dst[:opts]` binds (named volumes too), a lone `dst` is an anonymous volume. */
export function addVolume(create: Create, entry: string, home: string): void {
  const expanded = entry.replace(/^\$\{?PWD\}?(?=\/|:)/, home);
  if (!expanded.includes(':')) {
    create.Volumes = { ...create.Volumes, [expanded]: {} };
    return;
  }
  const host = (create.HostConfig ??= {});
  (host.Binds ??= []).push(expanded);
}

function list(value: Value): string[] {
  if (Array.isArray(value)) return value.map(String);
  return [String(value)];
}

function bool(value: Value, flag: string): boolean {
  if (value === true || value === 'true' || value === '') return true;
  if (value === false || value === 'false') return false;
  throw new UserError(`options: --${flag} takes true or false, got ${JSON.stringify(value)}`);
}

function one(value: Value, flag: string): string {
  const all = list(value);
  if (all.length !== 1 || value === true) throw new UserError(`options: --${flag} needs exactly one value`);
  return all[0]!;
}

function keyValue(entry: string): [string, string] {
  const eq = entry.indexOf('=');
  return eq === -1 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
}

const HANDLERS: Record<string, (create: Create, host: Host, value: Value, flag: string, home: string) => void> = {
  'cap-add': (_c, h, v) => { (h.CapAdd ??= []).push(...list(v)); },
  'cap-drop': (_c, h, v) => { (h.CapDrop ??= []).push(...list(v)); },
  memory: (_c, h, v, f) => { h.Memory = parseBytes(one(v, f), f); },
  'memory-reservation': (_c, h, v, f) => { h.MemoryReservation = parseBytes(one(v, f), f); },
  'memory-swap': (_c, h, v, f) => { const s = one(v, f); h.MemorySwap = s === '-1' ? -1 : parseBytes(s, f); },
  'shm-size': (_c, h, v, f) => { h.ShmSize = parseBytes(one(v, f), f); },
  cpus: (_c, h, v, f) => { h.NanoCpus = Math.round(Number(one(v, f)) * 1e9); },
  'cpu-shares': (_c, h, v, f) => { h.CpuShares = Number(one(v, f)); },
  'cpuset-cpus': (_c, h, v, f) => { h.CpusetCpus = one(v, f); },
  'pids-limit': (_c, h, v, f) => { h.PidsLimit = Number(one(v, f)); },
  'add-host': (_c, h, v) => { (h.ExtraHosts ??= []).push(...list(v)); },
  dns: (_c, h, v) => { (h.Dns ??= []).push(...list(v)); },
  'dns-search': (_c, h, v) => { (h.DnsSearch ??= []).push(...list(v)); },
  'dns-option': (_c, h, v) => { (h.DnsOptions ??= []).push(...list(v)); },
  'security-opt': (_c, h, v) => { (h.SecurityOpt ??= []).push(...list(v)); },
  'group-add': (_c, h, v) => { (h.GroupAdd ??= []).push(...list(v)); },
  device: (_c, h, v) => {
    for (const d of list(v)) {
      const [src, dst = src, perms = 'rwm'] = d.split(':');
      (h.Devices ??= []).push({ PathOnHost: src!, PathInContainer: dst!, CgroupPermissions: perms });
    }
  },
  ulimit: (_c, h, v) => {
    for (const u of list(v)) {
      const [name, limits = ''] = keyValue(u);
      const [soft, hard = soft] = limits.split(':');
      (h.Ulimits ??= []).push({ Name: name, Soft: Number(soft), Hard: Number(hard) });
    }
  },
  sysctl: (_c, h, v) => { for (const s of list(v)) { const [k, val] = keyValue(s); h.Sysctls = { ...h.Sysctls, [k]: val }; } },
  tmpfs: (_c, h, v) => { for (const t of list(v)) { const [path, opts = ''] = t.split(/:(.*)/s); h.Tmpfs = { ...h.Tmpfs, [path!]: opts }; } },
  privileged: (_c, h, v, f) => { h.Privileged = bool(v, f); },
  init: (_c, h, v, f) => { h.Init = bool(v, f); },
  'read-only': (_c, h, v, f) => { h.ReadonlyRootfs = bool(v, f); },
  pid: (_c, h, v, f) => { h.PidMode = one(v, f); },
  ipc: (_c, h, v, f) => { h.IpcMode = one(v, f); },
  network: (_c, h, v, f) => { h.NetworkMode = one(v, f); },
  gpus: (_c, h, v, f) => {
    const g = one(v, f);
    h.DeviceRequests = [{ Driver: '', Count: g === 'all' ? -1 : Number(g.replace(/^count=/, '')), Capabilities: [['gpu']], DeviceIDs: null as unknown as string[], Options: {} }];
  },
  'log-opt': (_c, h, v) => { for (const o of list(v)) { const [k, val] = keyValue(o); h.LogConfig = { Type: h.LogConfig?.Type ?? '', Config: { ...h.LogConfig?.Config, [k]: val } }; } },
  'log-driver': (_c, h, v, f) => { h.LogConfig = { Type: one(v, f), Config: h.LogConfig?.Config ?? {} }; },
  volume: (c, _h, v, _f, home) => { for (const e of list(v)) addVolume(c, e, home); },
  publish: (c, _h, v) => { for (const p of list(v)) addPublish(c, p); },
  expose: (c, _h, v) => { for (const p of list(v)) { const key = p.includes('/') ? p : `${p}/tcp`; c.ExposedPorts = { ...c.ExposedPorts, [key]: {} }; } },
  label: (c, _h, v) => { for (const l of list(v)) { const [k, val] = keyValue(l); c.Labels = { ...c.Labels, [k]: val }; } },
  env: (c, _h, v) => { c.Env = [...(c.Env ?? []), ...list(v)]; },
  user: (c, _h, v, f) => { c.User = one(v, f); },
  workdir: (c, _h, v, f) => { c.WorkingDir = one(v, f); },
  entrypoint: (c, _h, v, f) => { c.Entrypoint = [one(v, f)]; },
  'stop-signal': (c, _h, v, f) => { c.StopSignal = one(v, f); },
  'stop-timeout': (c, _h, v, f) => { c.StopTimeout = Number(one(v, f)); },
  'health-cmd': (c, _h, v, f) => { c.Healthcheck = { ...c.Healthcheck, Test: ['CMD-SHELL', one(v, f)] }; },
  'health-interval': (c, _h, v, f) => { c.Healthcheck = { ...c.Healthcheck, Interval: durationNs(one(v, f), f) }; },
  'health-timeout': (c, _h, v, f) => { c.Healthcheck = { ...c.Healthcheck, Timeout: durationNs(one(v, f), f) }; },
  'health-start-period': (c, _h, v, f) => { c.Healthcheck = { ...c.Healthcheck, StartPeriod: durationNs(one(v, f), f) }; },
  'health-retries': (c, _h, v, f) => { c.Healthcheck = { ...c.Healthcheck, Retries: Number(one(v, f)) }; },
  'no-healthcheck': (c, _h, v, f) => { if (bool(v, f)) c.Healthcheck = { Test: ['NONE'] }; },
};

const ALIASES: Record<string, string> = { m: 'memory', v: 'volume', p: 'publish', l: 'label', e: 'env', u: 'user', w: 'workdir', net: 'network', 'log-opts': 'log-opt', 'health-command': 'health-cmd' };

/** Applies Kamal `options` to create options, in the order given. `restart` is handled by the caller. */
export function applyDockerOptions(create: Create, options: DockerOptions, home: string): void {
  for (const [rawFlag, value] of Object.entries(options)) {
    const flag = ALIASES[rawFlag] ?? rawFlag;
    const handler = HANDLERS[flag];
    if (!handler) throw new UserError(`options: --${rawFlag} is not supported by drover-agent (it runs containers through the Docker API); supported: ${Object.keys(HANDLERS).sort().join(', ')}`);
    handler(create, (create.HostConfig ??= {}), value, flag, home);
  }
}

/** Splits a docker flag string (Kamal's legacy `.kamal/proxy/options`) into an options record; repeated flags collect. */
export function parseDockerFlags(text: string): DockerOptions {
  const words = text.trim().split(/\s+/).filter(Boolean).map((w) => w.replace(/^"(.*)"$/, '$1'));
  const options: Record<string, (string | number)[] | boolean> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('-')) throw new UserError(`proxy options: unexpected "${word}" (expected a --flag)`);
    const body = word.replace(/^--?/, '');
    const eq = body.indexOf('=');
    let flag: string;
    let value: string | true;
    if (eq !== -1) { flag = body.slice(0, eq); value = body.slice(eq + 1).replace(/^"(.*)"$/, '$1'); }
    else if (words[i + 1] !== undefined && !words[i + 1]!.startsWith('-')) { flag = body; value = words[++i]!; }
    else { flag = body; value = true; }
    if (value === true) options[flag] = true;
    else { const prev = options[flag]; options[flag] = [...(Array.isArray(prev) ? prev : []), value]; }
  }
  return options;
}
