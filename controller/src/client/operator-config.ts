import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '@drover/shared';
import { FINGERPRINT_PATTERN } from '@drover/shared/protocol';
import { writeSecretFile } from '../store/secure-file.js';

/** What `drover login` stores: where the controller is, how to prove who we are, which key to trust. */
export const OperatorCredentials = z.object({
  controller: z.string().url(),
  token: z.string().min(1),
  /** Pinned TLS key; null means ordinary CA verification. */
  fingerprint: z.string().regex(FINGERPRINT_PATTERN).nullable(),
}).strict();
export type OperatorCredentials = z.infer<typeof OperatorCredentials>;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DROVER_CONFIG_DIR) return env.DROVER_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'drover');
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'credentials.json');
}

export function saveCredentials(creds: OperatorCredentials, env: NodeJS.ProcessEnv = process.env): string {
  const path = credentialsPath(env);
  writeSecretFile(path, JSON.stringify(creds, null, 2) + '\n');
  return path;
}

/**
 * Credentials for this invocation: the login file, overridden by
 * DROVER_CONTROLLER / DROVER_TOKEN / DROVER_FINGERPRINT (for CI).
 */
export function loadCredentials(env: NodeJS.ProcessEnv = process.env): OperatorCredentials {
  const path = credentialsPath(env);
  let stored: OperatorCredentials | null = null;
  if (existsSync(path)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      throw new UserError(`${path}: not valid JSON; run \`drover login\` again`);
    }
    const parsed = OperatorCredentials.safeParse(raw);
    if (!parsed.success) throw new UserError(`${path}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}; run \`drover login\` again`);
    stored = parsed.data;
  }
  const controller = env.DROVER_CONTROLLER || stored?.controller;
  const token = env.DROVER_TOKEN || stored?.token;
  if (!controller || !token) {
    throw new UserError('not logged in: run `drover login URL --token T` or set DROVER_CONTROLLER and DROVER_TOKEN');
  }
  // A stored pin only applies to the controller it was stored for.
  const fingerprint = env.DROVER_FINGERPRINT || (stored && stored.controller === controller ? stored.fingerprint : null);
  if (fingerprint && !FINGERPRINT_PATTERN.test(fingerprint)) throw new UserError('DROVER_FINGERPRINT: expected sha256:<64 hex digits>');
  return { controller, token, fingerprint: fingerprint ?? null };
}
