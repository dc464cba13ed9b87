import { z } from 'zod';

/**
 * `env` in both of Kamal's forms, normalised to one shape:
 * - simple: `{ KEY: value }` (all clear);
 * - complex: `{ clear: {…}, secret: [NAME, "ENV:SECRET"], tags: { tag: <env> } }`.
 * Once `clear`, `secret` or `tags` appears, any other key is an error.
 */
export interface EnvSpec {
  clear: Record<string, string>;
  /** Entries as written: `NAME` or `ENV_NAME:SECRET_NAME`. */
  secret: string[];
  /** Only in the root env. */
  tags: Record<string, EnvSpec>;
}

const SPECIAL = ['clear', 'secret', 'tags'];

type Path = (string | number)[];

function isHash(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clearValue(v: unknown, path: Path, ctx: z.RefinementCtx): string | undefined {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  ctx.addIssue({ code: 'custom', path, message: 'should be a string' });
  return undefined;
}

function readClear(value: unknown, path: Path, ctx: z.RefinementCtx): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isHash(value)) {
    ctx.addIssue({ code: 'custom', path, message: 'should be a hash' });
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    const s = clearValue(v, [...path, k], ctx);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

function readSecret(value: unknown, path: Path, ctx: z.RefinementCtx): string[] {
  if (!Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', path, message: 'should be an array' });
    return [];
  }
  const out: string[] = [];
  value.forEach((entry, i) => {
    if (typeof entry === 'string') out.push(entry);
    else ctx.addIssue({ code: 'custom', path: [...path, i], message: 'should be a string' });
  });
  return out;
}

function readEnv(value: unknown, path: Path, ctx: z.RefinementCtx, tagsAllowed: boolean): EnvSpec {
  const env: EnvSpec = { clear: {}, secret: [], tags: {} };
  if (value === null || value === undefined) return env;
  if (!isHash(value)) {
    ctx.addIssue({ code: 'custom', path, message: 'should be a hash' });
    return env;
  }
  const keys = Object.keys(value);
  if (!keys.some((k) => SPECIAL.includes(k))) {
    env.clear = readClear(value, path, ctx);
    return env;
  }
  const unknown = keys.filter((k) => !SPECIAL.includes(k));
  if (unknown.length > 0) {
    ctx.addIssue({ code: 'custom', path, message: `${unknown.length === 1 ? 'unknown key' : 'unknown keys'}: ${unknown.join(', ')}` });
  }
  if (value.clear !== undefined && value.clear !== null) env.clear = readClear(value.clear, [...path, 'clear'], ctx);
  if (value.secret !== undefined && value.secret !== null) env.secret = readSecret(value.secret, [...path, 'secret'], ctx);
  if (value.tags !== undefined && value.tags !== null) {
    if (!tagsAllowed) {
      ctx.addIssue({ code: 'custom', path, message: 'tags are only allowed in the root env' });
    } else if (!isHash(value.tags)) {
      ctx.addIssue({ code: 'custom', path: [...path, 'tags'], message: 'should be a hash' });
    } else {
      for (const [tag, tagEnv] of Object.entries(value.tags)) {
        env.tags[tag] = readEnv(tagEnv, [...path, 'tags', tag], ctx, false);
      }
    }
  }
  return env;
}

/** The root env: may carry `tags`. */
export const rootEnvSchema = z.unknown().transform((v, ctx) => readEnv(v, [], ctx, true));

/** A role's or accessory's env: `tags` are rejected with Kamal's message. */
export const nestedEnvSchema = z.unknown().transform((v, ctx) => readEnv(v, [], ctx, false));

/** `NAME` or `ENV_NAME:SECRET_NAME` → the variable name and the secret it reads. */
export function splitSecretEntry(entry: string): { name: string; secret: string } {
  const colon = entry.indexOf(':');
  return colon === -1 ? { name: entry, secret: entry } : { name: entry.slice(0, colon), secret: entry.slice(colon + 1) };
}
