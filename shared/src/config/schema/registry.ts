import { z } from 'zod';
import { kHash, kString, opt } from './kinds.js';

/** A registry credential: a literal, or `[SECRET_NAME]` looked up in the secrets files (never ENV). */
export type Credential = { literal: string } | { secret: string };

const credentialSchema = z.unknown().transform((v, ctx): Credential => {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { literal: String(v) };
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return { secret: v[0] };
  ctx.addIssue({ code: 'custom', message: 'should be a string or an array with one string (for secret lookup)' });
  return z.NEVER;
});

/** Kamal's check, reproduced as written: `localhost:5000` is local, plain `localhost` is not. */
export function isLocalRegistry(server: string | undefined): boolean {
  return server !== undefined && /^localhost[:$]/.test(server);
}

export const registrySchema = kHash({
  server: opt(kString),
  username: opt(credentialSchema),
  password: opt(credentialSchema),
}).superRefine((r, ctx) => {
  if (isLocalRegistry(r.server)) return;
  if (r.username === undefined) ctx.addIssue({ code: 'custom', path: ['username'], message: 'is required' });
  if (r.password === undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'is required' });
});
export type RegistryConfig = z.infer<typeof registrySchema>;
