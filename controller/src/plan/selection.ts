import type { ResolvedConfig, ResolvedRole } from '@drover/shared/config';
import { UserError } from '@drover/shared';
import type { Selection } from './types.js';

/**
 * Ruby's `File.fnmatch(pattern, name, File::FNM_EXTGLOB)` as Kamal uses it for `-r` and `-h`:
 * `*` and `?` (not matching `/`), `[...]` classes, `{a,b}` alternatives; everything else literal.
 */
export function fnmatch(pattern: string, name: string): boolean {
  return fnmatcher(pattern)(name);
}

/** `fnmatch` with the pattern compiled once, for matching it against many names. */
function fnmatcher(pattern: string): (name: string) => boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) { re += '\\['; continue; }
      const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
      re += `[${body}]`;
      i = end;
    } else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) { re += '\\{'; continue; }
      re += `(?:${pattern.slice(i + 1, end).split(',').map((alt) => alt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  const compiled = new RegExp(`^${re}$`);
  return (name) => compiled.test(name);
}

/** Kamal's `filter_specific_items`: matches in filter order, each item once. */
function filterItems(filters: string[], items: string[]): string[] {
  const out = new Set<string>();
  for (const f of filters) {
    const matches = fnmatcher(f);
    for (const item of items) if (matches(item)) out.add(item);
  }
  return [...out];
}

function stableSortFirst<T>(list: T[], first: (x: T) => boolean): T[] {
  return [...list.filter(first), ...list.filter((x) => !first(x))];
}

/** What a command acts on, as Kamal's `Commander::Specifics` computes it. */
export interface Specifics {
  /** Roles with a host in the selection, the primary role first. */
  roles: ResolvedRole[];
  /** Selected hosts (app and accessory), hosts of the primary role first. */
  hosts: string[];
  /** Selected app hosts, in config order, primary-role hosts first. */
  appHosts: string[];
  /** Selected hosts running kamal-proxy for a role or an accessory. */
  proxyHosts: string[];
  primaryHost: string | null;
  primaryRole: ResolvedRole | null;
  rolesOn(host: string): ResolvedRole[];
}

/** The same selection without `hosts` (agents skipped because they are offline). */
export function withoutHosts(s: Specifics, hosts: string[]): Specifics {
  const left = new Set(hosts);
  const keep = (list: string[]) => list.filter((h) => !left.has(h));
  return { ...s, hosts: keep(s.hosts), appHosts: keep(s.appHosts), proxyHosts: keep(s.proxyHosts) };
}

/**
 * `-r`/`-h`/`-p` applied to the configuration; unmatched filters fail with Kamal's messages. Host lists
 * are looked up through sets: a label fleet puts thousands of hosts in a role.
 */
export function selectSpecifics(config: ResolvedConfig, selection: Selection): Specifics {
  // Kamal sorts roles by name, then puts the configured primary role first.
  const configRoles = stableSortFirst([...config.roles].sort((a, b) => a.name.localeCompare(b.name)), (r) => r.name === config.primaryRole);
  const configPrimary = (roles: ResolvedRole[]) => roles.find((r) => r.name === config.primaryRole) ?? roles[0] ?? null;
  const roleHosts = (r: ResolvedRole) => r.hosts.map((h) => h.host);
  const roleHostSets = new Map(config.roles.map((r) => [r, new Set(roleHosts(r))]));
  const onRole = (r: ResolvedRole, host: string) => roleHostSets.get(r)?.has(host) ?? false;

  let specificRoles: ResolvedRole[] | null = null;
  if (selection.roles.length > 0) {
    const names = filterItems(selection.roles, configRoles.map((r) => r.name));
    if (names.length === 0) throw new UserError(`No --roles match for ${selection.roles.join(',')}`);
    specificRoles = names.map((n) => configRoles.find((r) => r.name === n)!);
  }
  let specificHosts: string[] | null = null;
  if (selection.primary) {
    const primaryOfRoles = specificRoles ? configPrimary(specificRoles) : null;
    const host = primaryOfRoles ? (roleHosts(primaryOfRoles)[0] ?? null) : config.primaryHost;
    specificHosts = host ? [host] : [];
  } else if (selection.hosts.length > 0) {
    specificHosts = filterItems(selection.hosts, config.hosts);
    if (specificHosts.length === 0) throw new UserError(`No --hosts match for ${selection.hosts.join(',')}`);
  }

  const candidateHosts = specificHosts ?? config.hosts;
  const roles0 = (specificRoles ?? configRoles).filter((r) => candidateHosts.some((h) => onRole(r, h)));
  const onSpecificRole = specificRoles ? (h: string) => specificRoles.some((r) => onRole(r, h)) : null;
  const hosts0 = onSpecificRole && specificRoles!.some((r) => r.hosts.length > 0) ? candidateHosts.filter(onSpecificRole) : candidateHosts;
  const selected = new Set(hosts0);

  const primaryOfSpecific = specificRoles ? configPrimary(specificRoles) : null;
  const primaryHost = specificHosts?.[0] ?? (primaryOfSpecific ? roleHosts(primaryOfSpecific)[0] ?? null : null) ?? config.primaryHost;
  const rolesOn = (host: string) => roles0.filter((r) => onRole(r, host));
  const primaryRole = primaryHost ? configPrimary(rolesOn(primaryHost)) : null;
  const roles = stableSortFirst(roles0, (r) => r === primaryRole);
  const sortHosts = (list: string[]) => (primaryRole ? stableSortFirst(list, (h) => onRole(primaryRole, h)) : [...list]);
  const appHostsInConfig = [...new Set(config.roles.flatMap(roleHosts))];
  const proxyHostsInConfig = [...new Set([
    ...config.roles.filter((r) => r.proxy).flatMap(roleHosts),
    ...config.accessories.filter((a) => a.proxy).flatMap((a) => a.hosts),
  ])];
  return {
    roles,
    hosts: sortHosts(hosts0),
    appHosts: sortHosts(appHostsInConfig.filter((h) => selected.has(h))),
    proxyHosts: proxyHostsInConfig.filter((h) => selected.has(h)),
    primaryHost,
    primaryRole,
    rolesOn,
  };
}
