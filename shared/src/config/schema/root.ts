import { z } from 'zod';
import { accessoriesSchema } from './accessories.js';
import { aliasesSchema } from './aliases.js';
import { bootSchema } from './boot.js';
import { builderSchema } from './builder.js';
import { rootEnvSchema } from './env.js';
import { kArray, kBoolean, kHash, kInteger, kString, kStringHash, opt } from './kinds.js';
import { loggingSchema } from './logging.js';
import { outputSchema } from './output.js';
import { rootProxySchema } from './proxy.js';
import { registrySchema } from './registry.js';
import { serversSchema } from './servers.js';
import { sshSchema, sshkitSchema } from './ssh.js';

export type HookLevel = 'quiet' | 'verbose';

function hookLevel(value: unknown): HookLevel | undefined {
  // YAML 1.1 `:verbose` is a Ruby symbol; its text carries the colon.
  const text = typeof value === 'string' ? value.replace(/^:/, '') : undefined;
  return text === 'quiet' || text === 'verbose' ? text : undefined;
}

/** `hooks_output: :quiet` or `{ pre-deploy: :verbose }`, with the leading colon stripped. */
const hooksOutputSchema = z.unknown().transform((value, ctx): HookLevel | Record<string, HookLevel> | undefined => {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, HookLevel> = {};
    for (const [hook, level] of Object.entries(value as Record<string, unknown>)) {
      const parsed = hookLevel(level);
      if (parsed) out[hook] = parsed;
      else ctx.addIssue({ code: 'custom', message: `Invalid hooks_output '${String(level).replace(/^:/, '')}' for hook '${hook}', must be one of: quiet, verbose` });
    }
    return out;
  }
  const parsed = hookLevel(value);
  if (!parsed) ctx.addIssue({ code: 'custom', message: `Invalid hooks_output '${String(value).replace(/^:/, '')}', must be one of: quiet, verbose` });
  return parsed;
});

/** Every root key Kamal 2.12 accepts (root `x-*` keys are removed before this runs). */
export const rootShape = {
  service: opt(kString),
  image: opt(kString),
  labels: opt(kStringHash),
  volumes: opt(kArray(kString)),
  registry: opt(registrySchema),
  servers: opt(serversSchema),
  env: opt(rootEnvSchema),
  asset_path: opt(kString),
  hooks_path: opt(kString),
  hooks_output: opt(hooksOutputSchema),
  secrets_path: opt(kString),
  error_pages_path: opt(kString),
  require_destination: opt(kBoolean),
  primary_role: opt(kString),
  allow_empty_roles: opt(kBoolean),
  retain_containers: opt(kInteger),
  minimum_version: opt(kString),
  readiness_delay: opt(kInteger),
  deploy_timeout: opt(kInteger),
  drain_timeout: opt(kInteger),
  stop_timeout: opt(kInteger),
  run_directory: opt(kString),
  ssh: opt(sshSchema),
  sshkit: opt(sshkitSchema),
  builder: opt(builderSchema),
  accessories: opt(accessoriesSchema),
  proxy: opt(rootProxySchema),
  boot: opt(bootSchema),
  logging: opt(loggingSchema),
  output: opt(outputSchema),
  aliases: opt(aliasesSchema),
};

export const rootSchema = kHash(rootShape);

/** The validated deploy.yml (after ERB, YAML, destination merge), keys as Kamal spells them. */
export type DeployConfig = z.infer<typeof rootSchema>;
