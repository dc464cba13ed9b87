import { z } from 'zod';
import { nestedEnvSchema } from './env.js';
import { kAnyHash, kHash, kInteger, kLabels, kString, opt } from './kinds.js';
import { loggingSchema } from './logging.js';
import { roleProxySchema } from './proxy.js';

/** A host as written in `servers`: `host` or `{ host: tag | [tags] }`. */
export interface HostEntry {
  host: string;
  tags: string[];
}

const RESTART_POLICY = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;

function isHash(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readHost(entry: unknown, path: (string | number)[], ctx: z.RefinementCtx): HostEntry | undefined {
  if (typeof entry === 'string' || typeof entry === 'number') return { host: String(entry), tags: [] };
  if (!isHash(entry)) {
    ctx.addIssue({ code: 'custom', path, message: 'should be a string or a hash' });
    return undefined;
  }
  const keys = Object.keys(entry);
  if (keys.length !== 1) {
    ctx.addIssue({ code: 'custom', path, message: 'multiple hosts found' });
    return undefined;
  }
  const host = keys[0]!;
  const tags = entry[host];
  if (typeof tags === 'string') return { host, tags: [tags] };
  if (Array.isArray(tags) && tags.every((t) => typeof t === 'string')) return { host, tags };
  ctx.addIssue({ code: 'custom', path: [...path, host], message: 'should be a string or an array' });
  return undefined;
}

function readHosts(value: unknown, path: (string | number)[], ctx: z.RefinementCtx): HostEntry[] {
  if (!Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', path, message: 'should be an array' });
    return [];
  }
  return value.flatMap((entry, i) => readHost(entry, [...path, i], ctx) ?? []);
}

const hostsSchema = z.unknown().transform((v, ctx) => readHosts(v, [], ctx));

const restartSchema = z.unknown().superRefine((v, ctx) => {
  if (typeof v !== 'string') {
    ctx.addIssue({ code: 'custom', message: 'should be a string. Use "no" to disable restarts' });
  } else if (!RESTART_POLICY.test(v)) {
    ctx.addIssue({ code: 'custom', message: 'should be no, always, unless-stopped, on-failure, or on-failure:N' });
  }
});

/** `options:` (extra docker flags); `restart` is checked because it becomes the restart policy. */
export const dockerOptionsSchema = kAnyHash.superRefine((options, ctx) => {
  if ('restart' in options) {
    const r = restartSchema.safeParse(options.restart);
    if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: ['restart'], message: issue.message });
  }
});

/** A role given as a hash. */
export const roleSchema = kHash({
  hosts: opt(hostsSchema),
  cmd: opt(kString),
  stop_timeout: opt(kInteger),
  options: opt(dockerOptionsSchema),
  logging: opt(loggingSchema),
  proxy: opt(roleProxySchema),
  labels: opt(kLabels),
  env: opt(nestedEnvSchema),
  asset_path: opt(kString),
});
export type RoleConfig = z.infer<typeof roleSchema>;

/** Roles in file order; the array form is the single role `web`. */
export type ServersConfig = { name: string; config: RoleConfig }[];

/** `servers:` in all its forms, normalised to a list of roles. */
export const serversSchema = z.unknown().transform((value, ctx): ServersConfig => {
  if (Array.isArray(value)) {
    return [{ name: 'web', config: { hosts: readHosts(value, [], ctx) } }];
  }
  if (!isHash(value)) {
    ctx.addIssue({ code: 'custom', message: 'should be an array or a hash' });
    return [];
  }
  const roles: ServersConfig = [];
  for (const [name, role] of Object.entries(value)) {
    if (Array.isArray(role)) {
      roles.push({ name, config: { hosts: readHosts(role, [name], ctx) } });
    } else if (isHash(role)) {
      const parsed = roleSchema.safeParse(role);
      if (parsed.success) roles.push({ name, config: parsed.data });
      else for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', path: [name, ...issue.path] } as z.IssueData);
    } else if (role === null || role === undefined) {
      roles.push({ name, config: { hosts: [] } });
    } else {
      ctx.addIssue({ code: 'custom', path: [name], message: 'should be an array or a hash' });
    }
  }
  return roles;
});
