/**
 * `@drover/shared/config`: Kamal 2.12-compatible deploy.yml loading, validation and resolution.
 * The planner calls `loadConfig` once and works from the returned ResolvedConfig; the helpers
 * below turn it into what the agent executes (names, labels, env, kamal-proxy argv).
 */
export { loadConfig, loadValidatedConfig, loadRenderedConfig, type LoadConfigOptions } from './config/load-config.js';
export { loadConfigFiles, renderConfigFiles, mergeRenderedFiles, destinationFile, DEFAULT_CONFIG_FILE, type LoadOptions, type LoadedFiles, type RenderedFile } from './config/load.js';
export { validateConfig, formatIssue, type Validated } from './config/validate.js';
export { KAMAL_COMPAT_VERSION } from './config/checks.js';
export { renderErb } from './config/erb.js';
export { parseYaml11 } from './config/yaml.js';
export { deepMerge } from './config/deep-merge.js';
export { resolveConfig, type ResolveContext } from './config/resolve/config.js';
export { chooseVersion, type GitState } from './config/resolve/version.js';
export { readGitState } from './config/git.js';
export {
  serviceAndDestination,
  containerPrefix,
  appContainerName,
  appLabels,
  appLabelFilters,
  latestTag,
  abbreviateVersion,
} from './config/resolve/naming.js';
export { roleEnv, hostEnv, accessoryEnv, injectedAppEnv } from './config/resolve/env.js';
export { resolveLogging, loggingArgs } from './config/resolve/logging.js';
export {
  roleProxyConfig,
  resolveProxy,
  resolveProxyRun,
  DEFAULT_LOG_REQUEST_HEADERS,
  KAMAL_PROXY_DEFAULT_VERSION,
  KAMAL_PROXY_REPOSITORY,
  PROXY_APPS_CONFIG,
} from './config/resolve/proxy.js';
export { kamalProxyDeployArgv, kamalProxyDeployCommand, rubyDump } from './config/resolve/proxy-args.js';
export { accessoryHosts } from './config/resolve/accessories.js';
export { configView, CONFIG_VIEW_VERSION, REDACTED, TARGET_PLACEHOLDER, type ConfigView } from './config/view.js';
export { splitSecretEntry, type EnvSpec } from './config/schema/env.js';
export { isLocalRegistry, type Credential } from './config/schema/registry.js';
export type { DeployConfig, HookLevel } from './config/schema/root.js';
export type { HostEntry, RoleConfig } from './config/schema/servers.js';
export type { DroverSettings } from './config/schema/drover.js';
export type * from './config/types.js';

import type { ResolvedConfig, ResolvedRole } from './config/types.js';
import { kamalProxyDeployArgv as argv } from './config/resolve/proxy-args.js';
import { UserError } from './errors.js';

/** A role by name, or a UserError naming the known roles. */
export function findRole(config: ResolvedConfig, name: string): ResolvedRole {
  const role = config.roles.find((r) => r.name === name);
  if (!role) throw new UserError(`unknown role ${name} (roles: ${config.roles.map((r) => r.name).join(', ') || 'none'})`);
  return role;
}

/**
 * The `kamal-proxy deploy` argv for a proxied role (exec without a shell), or null when the role
 * runs without the proxy. `target` is the new container's id or reachable name.
 */
export function kamalProxyDeployArgs(config: ResolvedConfig, roleName: string, target: string): string[] | null {
  const role = findRole(config, roleName);
  return role.proxy ? argv(role.containerPrefix, role.proxy, target) : null;
}
