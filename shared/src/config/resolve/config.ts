import type { DroverSettings } from '../schema/drover.js';
import type { DeployConfig } from '../schema/root.js';
import { DROVER_DEFAULTS, KAMAL_DEFAULTS } from '../kamal-defaults.js';
import type { ResolvedConfig, ResolvedProxyRun, ResolvedRole } from '../types.js';
import { resolveAccessory } from './accessories.js';
import { hostEnv, roleEnv } from './env.js';
import { resolveLogging } from './logging.js';
import { abbreviateVersion, appContainerName, appLabels, containerPrefix, latestTag, serviceAndDestination } from './naming.js';
import { resolveProxy, resolveProxyRun, roleProxyConfig } from './proxy.js';
import { repositoryOf, resolveRegistry } from './registry.js';

export interface ResolveContext {
  destination: string | null;
  version: string;
  files: string[];
  drover: DroverSettings | undefined;
  /** The merged document before validation (Kamal's `raw_config`); kept as `ResolvedConfig.raw`. */
  raw: Record<string, unknown>;
  /** Agents matched by `x-drover/roles/<role>/labels`, by role: hosts of the role besides those named. */
  labelHosts?: Record<string, string[]>;
}

/** Pure: a validated deploy.yml plus destination and version → the planner's input. */
export function resolveConfig(config: DeployConfig, ctx: ResolveContext): ResolvedConfig {
  const service = config.service ?? '';
  const destination = ctx.destination;
  const version = ctx.version;
  const svcDest = serviceAndDestination(service, destination);
  const registry = resolveRegistry(config.registry);
  const imageName = config.image ?? (registry.local ? service : '');
  const repository = repositoryOf(registry.server, imageName);
  const primaryRole = config.primary_role ?? 'web';
  const servers = config.servers ?? [];
  const deployTimeout = config.deploy_timeout ?? KAMAL_DEFAULTS.deployTimeoutSeconds;
  const drainTimeout = config.drain_timeout ?? KAMAL_DEFAULTS.drainTimeoutSeconds;

  const roles: ResolvedRole[] = servers.map((role) => {
    const prefix = containerPrefix(service, role.name, destination);
    const named = role.config.hosts ?? [];
    const namedHosts = new Set(named.map((n) => n.host));
    const hosts = [...named, ...(ctx.labelHosts?.[role.name] ?? []).filter((h) => !namedHosts.has(h)).map((host) => ({ host, tags: [] }))];
    const proxyConfig = roleProxyConfig(config, role, primaryRole);
    const { restart, ...options } = role.config.options ?? {};
    const proxy = proxyConfig
      ? resolveProxy(proxyConfig, {
          serviceAndDestination: svcDest,
          role: role.name,
          version,
          deployTimeout,
          drainTimeout,
          errorPagesPath: config.error_pages_path ?? null,
        })
      : null;
    return {
      name: role.name,
      primary: role.name === primaryRole,
      hosts,
      containerPrefix: prefix,
      containerName: appContainerName(prefix, version),
      cmd: role.config.cmd ?? null,
      labels: appLabels({ service, role: role.name, destination, rootLabels: config.labels, roleLabels: role.config.labels }),
      restartPolicy: typeof restart === 'string' ? restart : KAMAL_DEFAULTS.restartPolicy,
      options,
      logging: resolveLogging(config.logging, role.config.logging),
      volumes: config.volumes ?? [],
      stopTimeout: role.config.stop_timeout ?? config.stop_timeout ?? (proxy ? null : drainTimeout),
      env: roleEnv(config.env, role.config.env),
      envByHost: Object.fromEntries(hosts.map((h) => [h.host, hostEnv(config.env, role.config.env, h.tags)])),
      assetPath: proxy ? (role.config.asset_path ?? config.asset_path ?? null) : null,
      proxy,
    };
  });

  const accessories = Object.entries(config.accessories ?? {}).map(([name, acc]) =>
    resolveAccessory(name, acc, config, servers, { serviceAndDestination: svcDest, version }),
  );

  const hosts = [...new Set([...roles.flatMap((r) => r.hosts.map((h) => h.host)), ...accessories.flatMap((a) => a.hosts)])];
  const proxyRunByHost: Record<string, ResolvedProxyRun | null> = {};
  const rootProxyRun = config.proxy ? resolveProxyRun(config.proxy.run) : null;
  // By set: a role may hold thousands of hosts (label fleets).
  const proxied = [
    ...roles.filter((r) => r.proxy).map((r) => ({ run: r.proxy!.run, on: new Set(r.hosts.map((h) => h.host)) })),
    ...accessories.filter((a) => a.proxy).map((a) => ({ run: a.proxy!.run, on: new Set(a.hosts) })),
  ];
  for (const host of hosts) {
    const runs = proxied.filter((p) => p.on.has(host)).map((p) => p.run);
    // An accessory's proxy block does not inherit the root one, but kamal-proxy itself is booted with
    // the root `proxy/run` wherever no role on the host says otherwise (Kamal's proxy boot config).
    proxyRunByHost[host] = runs.find((r) => r !== null) ?? (runs.length > 0 ? rootProxyRun : null);
  }
  const primary = roles.find((r) => r.name === primaryRole);

  return {
    service,
    destination,
    files: ctx.files,
    version,
    abbreviatedVersion: abbreviateVersion(version),
    serviceAndDestination: svcDest,
    image: {
      name: imageName,
      repository,
      ref: `${repository}:${version}`,
      latestTag: latestTag(destination),
      latestRef: `${repository}:${latestTag(destination)}`,
    },
    registry,
    primaryRole,
    primaryHost: primary?.hosts[0]?.host ?? null,
    roles,
    hosts,
    accessories,
    volumes: config.volumes ?? [],
    timeouts: { deploy: deployTimeout, drain: drainTimeout, readinessDelay: config.readiness_delay ?? KAMAL_DEFAULTS.readinessDelaySeconds, stop: config.stop_timeout ?? null },
    retainContainers: config.retain_containers ?? KAMAL_DEFAULTS.retainContainers,
    minimumVersion: config.minimum_version ?? null,
    boot: { limit: config.boot?.limit ?? null, wait: config.boot?.wait ?? null, parallelRoles: config.boot?.parallel_roles ?? false },
    hooks: { path: config.hooks_path ?? '.kamal/hooks', output: config.hooks_output ?? null },
    secretsPath: config.secrets_path ?? '.kamal/secrets',
    errorPagesPath: config.error_pages_path ?? null,
    requireDestination: config.require_destination ?? false,
    allowEmptyRoles: config.allow_empty_roles ?? false,
    aliases: config.aliases ?? {},
    builder: config.builder ?? null,
    proxyRunByHost,
    drover: {
      controller: ctx.drover?.controller ?? null,
      project: ctx.drover?.project ?? service,
      agentTimeout: ctx.drover?.agent_timeout ?? DROVER_DEFAULTS.agentTimeoutSeconds,
      offline: ctx.drover?.offline ?? DROVER_DEFAULTS.offline,
      autoRollback: ctx.drover?.auto_rollback ?? DROVER_DEFAULTS.autoRollback,
      roleLabels: Object.fromEntries(Object.entries(ctx.drover?.roles ?? {}).map(([role, r]) => [role, r.labels])),
      canary: ctx.drover?.canary ? { hosts: ctx.drover.canary.hosts, soakSeconds: ctx.drover.canary.soak ?? DROVER_DEFAULTS.canarySoakSeconds } : null,
    },
    source: config,
    raw: ctx.raw,
  };
}
