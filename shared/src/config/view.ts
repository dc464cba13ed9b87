import type { Credential } from './schema/registry.js';
import { kamalProxyDeployArgv } from './resolve/proxy-args.js';
import type { ResolvedConfig, ResolvedEnv, ResolvedProxy } from './types.js';

export const REDACTED = '[REDACTED]';
/** Stands in for the container id in `deployArgs` (known only once the container exists). */
export const TARGET_PLACEHOLDER = '<CONTAINER_ID>';

/** Bumped only for incompatible changes to the `drover config --json` shape. */
export const CONFIG_VIEW_VERSION = 1;

function credential(c: Credential | null, redact: boolean): string | { secret: string } | null {
  if (c === null) return null;
  if ('secret' in c) return { secret: c.secret };
  return redact ? REDACTED : c.literal;
}

function envView(env: ResolvedEnv) {
  return { clear: env.clear, secrets: env.secrets.map((s) => (s.name === s.secret ? s.name : `${s.name}:${s.secret}`)) };
}

function proxyView(serviceName: string, proxy: ResolvedProxy | null) {
  if (!proxy) return null;
  const { deployOptions: _options, ...settings } = proxy;
  return { ...settings, deployArgs: kamalProxyDeployArgv(serviceName, proxy, TARGET_PLACEHOLDER) };
}

/**
 * The document `drover config` prints (YAML, or JSON with `--json`). Stable for scripts:
 * documented in docs/configuration.md. Secret values never appear: env secrets are names,
 * literal registry passwords are redacted.
 */
export function configView(config: ResolvedConfig) {
  return {
    formatVersion: CONFIG_VIEW_VERSION,
    service: config.service,
    destination: config.destination,
    version: config.version,
    abbreviatedVersion: config.abbreviatedVersion,
    image: config.image,
    registry: {
      server: config.registry.server,
      local: config.registry.local,
      username: credential(config.registry.username, false),
      password: credential(config.registry.password, true),
    },
    primaryRole: config.primaryRole,
    primaryHost: config.primaryHost,
    hosts: config.hosts,
    roles: Object.fromEntries(
      config.roles.map((r) => [
        r.name,
        {
          primary: r.primary,
          hosts: r.hosts.map((h) => h.host),
          hostTags: Object.fromEntries(r.hosts.filter((h) => h.tags.length > 0).map((h) => [h.host, h.tags])),
          containerPrefix: r.containerPrefix,
          containerName: r.containerName,
          cmd: r.cmd,
          labels: r.labels,
          restartPolicy: r.restartPolicy,
          options: r.options,
          logging: r.logging,
          volumes: r.volumes,
          stopTimeout: r.stopTimeout,
          assetPath: r.assetPath,
          env: envView(r.env),
          envByHost: Object.fromEntries(Object.entries(r.envByHost).map(([h, e]) => [h, envView(e)])),
          proxy: proxyView(r.containerPrefix, r.proxy),
        },
      ]),
    ),
    accessories: Object.fromEntries(
      config.accessories.map((a) => [
        a.name,
        {
          service: a.service,
          image: a.image,
          hosts: a.hosts,
          cmd: a.cmd,
          publish: a.publish,
          labels: a.labels,
          restartPolicy: a.restartPolicy,
          options: a.options,
          env: envView(a.env),
          files: a.files,
          directories: a.directories,
          volumes: a.volumeArgs,
          network: a.network,
          logging: a.logging,
          proxy: proxyView(a.service, a.proxy),
        },
      ]),
    ),
    proxyRunByHost: config.proxyRunByHost,
    timeouts: config.timeouts,
    retainContainers: config.retainContainers,
    minimumVersion: config.minimumVersion,
    boot: config.boot,
    hooks: config.hooks,
    secretsPath: config.secretsPath,
    errorPagesPath: config.errorPagesPath,
    aliases: config.aliases,
    drover: config.drover,
    files: config.files,
  };
}
export type ConfigView = ReturnType<typeof configView>;
