import { splitSecretEntry, type EnvSpec } from '../schema/env.js';
import type { ResolvedEnv } from '../types.js';

function merge(into: ResolvedEnv, spec: EnvSpec | undefined): void {
  if (!spec) return;
  Object.assign(into.clear, spec.clear);
  for (const entry of spec.secret) {
    const secret = splitSecretEntry(entry);
    // Secret lists are unioned; a later entry for the same variable replaces the earlier one.
    const existing = into.secrets.findIndex((s) => s.name === secret.name);
    if (existing === -1) into.secrets.push(secret);
    else into.secrets[existing] = secret;
  }
}

/** Root env, then the role env (clear values: later wins; secrets: union). */
export function roleEnv(rootEnv: EnvSpec | undefined, role: EnvSpec | undefined): ResolvedEnv {
  const env: ResolvedEnv = { clear: {}, secrets: [] };
  merge(env, rootEnv);
  merge(env, role);
  return env;
}

/** Root env, role env, then each of the host's tags' env in the host's tag order. */
export function hostEnv(rootEnv: EnvSpec | undefined, role: EnvSpec | undefined, hostTags: string[]): ResolvedEnv {
  const env = roleEnv(rootEnv, role);
  for (const tag of hostTags) merge(env, rootEnv?.tags[tag]);
  return env;
}

/** An accessory uses only its own env. */
export function accessoryEnv(spec: EnvSpec | undefined): ResolvedEnv {
  const env: ResolvedEnv = { clear: {}, secrets: [] };
  merge(env, spec);
  return env;
}

/** The variables Kamal adds to every app container (accessories get only `KAMAL_HOST`). */
export function injectedAppEnv(args: { containerName: string; version: string; host: string; destination: string | null }): Record<string, string> {
  return {
    KAMAL_CONTAINER_NAME: args.containerName,
    KAMAL_VERSION: args.version,
    KAMAL_HOST: args.host,
    ...(args.destination ? { KAMAL_DESTINATION: args.destination } : {}),
  };
}
