// Pure builders: resolved config + secret values → the params of one agent operation.
// Like Kamal's `commands/`, they decide everything a host needs; the agent never reads deploy.yml.
import { kamalProxyDeployArgv, type Credential, type ResolvedAccessory, type ResolvedConfig, type ResolvedEnv, type ResolvedProxy, type ResolvedRegistry, type ResolvedRole } from '@drover/shared/config';
import { KAMAL_DEFAULTS } from '@drover/shared/config/kamal-defaults';
import { shellSplit } from '@drover/shared/secrets';
import { UserError } from '@drover/shared';
import type { OperationParams } from '@drover/shared/operations';
import type { SubmittedAssets } from './types.js';

export type Secrets = Record<string, string>;
type RegistryAuth = { server: string | null; username: string; password: string };

function secretValue(secrets: Secrets, name: string): string {
  const value = secrets[name];
  if (value === undefined) throw new UserError(`Secret '${name}' not found in the secrets sent with this deployment`);
  return value;
}

function credential(c: Credential | null, secrets: Secrets): string | null {
  if (c === null) return null;
  return 'literal' in c ? c.literal : secretValue(secrets, c.secret);
}

/** Login credentials for a registry; null for a local registry or one without credentials. */
export function registryAuth(registry: ResolvedRegistry, secrets: Secrets): RegistryAuth | null {
  if (registry.local) return null;
  const username = credential(registry.username, secrets);
  const password = credential(registry.password, secrets);
  if (!username || !password) return null;
  return { server: registry.server, username, password };
}

export function scope(config: ResolvedConfig, performer: string) {
  return { service: config.service, destination: config.destination, performer };
}

function envSpec(env: ResolvedEnv, secrets: Secrets) {
  return { clear: env.clear, secrets: Object.fromEntries(env.secrets.map((s) => [s.name, secretValue(secrets, s.secret)])) };
}

/** The kamal-proxy deploy settings the agent passes after `--target` (Kamal's order), plus custom TLS material. */
export function proxyDeploy(prefix: string, proxy: ResolvedProxy, secrets: Secrets) {
  const tls = proxy.customCertificates
    ? { certificatePem: secretValue(secrets, proxy.customCertificates.certificatePem), privateKeyPem: secretValue(secrets, proxy.customCertificates.privateKeyPem) }
    : null;
  return { ...proxyRedeploy(prefix, proxy), tls };
}

/** Deploying a started container to kamal-proxy again (`app start`, `accessory start`): the TLS files are already on the host. */
export function proxyRedeploy(prefix: string, proxy: ResolvedProxy) {
  // kamalProxyDeployArgv is `kamal-proxy deploy <service> --target=…`; the agent adds the target itself.
  return { appPort: proxy.appPort, args: kamalProxyDeployArgv(prefix, proxy, 'target').slice(4), tls: null };
}

const RESERVED_LABELS = new Set(['service', 'role', 'destination']);

export function appBootParams(config: ResolvedConfig, role: ResolvedRole, host: string, secrets: Secrets, assets: SubmittedAssets, performer: string): OperationParams<'app.boot'> {
  const env = role.envByHost[host] ?? role.env;
  return {
    ...scope(config, performer),
    role: role.name,
    version: config.version,
    image: config.image.ref,
    latestImage: config.image.latestRef,
    host,
    env: envSpec(env, secrets),
    labels: Object.fromEntries(Object.entries(role.labels).filter(([k]) => !RESERVED_LABELS.has(k))),
    restartPolicy: role.restartPolicy,
    logging: role.logging,
    volumes: role.volumes,
    options: role.options as OperationParams<'app.boot'>['options'],
    cmd: role.cmd === null ? null : shellSplit(role.cmd),
    assetPath: role.assetPath,
    proxy: role.proxy ? proxyDeploy(role.containerPrefix, role.proxy, secrets) : null,
    deployTimeout: config.timeouts.deploy,
    readinessDelay: config.timeouts.readinessDelay,
    stopTimeout: role.stopTimeout,
    errorPages: role.proxy && config.errorPagesPath ? assets.errorPages : null,
  };
}

/** `app.probe` of the canary soak: the role's new container, and its health path when kamal-proxy fronts it. */
export function appProbeParams(config: ResolvedConfig, role: ResolvedRole, performer: string): OperationParams<'app.probe'> {
  return {
    ...scope(config, performer), role: role.name, version: config.version,
    appPort: role.proxy?.appPort ?? null, healthPath: role.proxy?.healthcheck.path ?? KAMAL_DEFAULTS.healthcheck.path,
  };
}

export function imagePullParams(config: ResolvedConfig, secrets: Secrets, performer: string): OperationParams<'image.pull'> {
  return { ...scope(config, performer), image: config.image.ref, version: config.version, registry: registryAuth(config.registry, secrets) };
}

export function imageLoadParams(config: ResolvedConfig, performer: string): OperationParams<'image.load'> {
  return { ...scope(config, performer), image: config.image.ref, version: config.version };
}

export function proxyBootParams(config: ResolvedConfig, host: string, secrets: Secrets, performer: string): OperationParams<'proxy.boot'> {
  const run = config.proxyRunByHost[host] ?? null;
  const main = registryAuth(config.registry, secrets);
  // The proxy image comes from the app's registry only when it names that registry (Kamal logs in there first).
  const registry = run?.registry && main && run.registry === main.server ? main : null;
  return {
    ...scope(config, performer),
    run: run && {
      httpPort: run.httpPort, httpsPort: run.httpsPort, bindIps: run.bindIps, publish: run.publish, metricsPort: run.metricsPort,
      debug: run.debug, logMaxSize: run.logMaxSize, image: run.image, options: run.options as NonNullable<OperationParams<'proxy.boot'>['run']>['options'],
    },
    registry,
  };
}

export function staleContainersParams(config: ResolvedConfig, role: ResolvedRole, performer: string, stop = true): OperationParams<'app.stale_containers'> {
  return { ...scope(config, performer), role: role.name, latestImage: config.image.latestRef, stop, stopTimeout: role.stopTimeout };
}

/** `wholeHost`: every role of the host is being removed, so the service's images and directories go too (Kamal). */
export function appRemoveParams(config: ResolvedConfig, role: ResolvedRole, performer: string, wholeHost = true): OperationParams<'app.remove'> {
  return { ...scope(config, performer), role: role.name, proxied: role.proxy !== null, stopTimeout: role.stopTimeout, removeImages: wholeHost, removeAppDirectory: wholeHost };
}

export function appStartParams(config: ResolvedConfig, role: ResolvedRole, performer: string): OperationParams<'app.start'> {
  return {
    ...scope(config, performer), role: role.name, version: config.version, latestImage: config.image.latestRef,
    proxy: role.proxy ? proxyRedeploy(role.containerPrefix, role.proxy) : null,
  };
}

export function appStopParams(config: ResolvedConfig, role: ResolvedRole, performer: string): OperationParams<'app.stop'> {
  return { ...scope(config, performer), role: role.name, proxied: role.proxy !== null, stopTimeout: role.stopTimeout };
}

/** `app maintenance`: `drainTimeout` seconds (Kamal's default is the config's `drain_timeout`), optional message. */
export function appMaintenanceParams(config: ResolvedConfig, role: ResolvedRole, performer: string, drainTimeout: number, message: string | null): OperationParams<'app.maintenance'> {
  return { ...scope(config, performer), role: role.name, drainTimeout, message };
}

export function appLiveParams(config: ResolvedConfig, role: ResolvedRole, performer: string): OperationParams<'app.live'> {
  return { ...scope(config, performer), role: role.name };
}

export function pruneContainersParams(config: ResolvedConfig, performer: string, retain: number): OperationParams<'prune.containers'> {
  return { ...scope(config, performer), retain };
}

export function pruneImagesParams(config: ResolvedConfig, performer: string): OperationParams<'prune.images'> {
  return { ...scope(config, performer), latestImage: config.image.latestRef };
}

/** Kamal's `prune all`: both prunes' params, retaining `retain_containers`. */
export function pruneAllParams(config: ResolvedConfig, performer: string): OperationParams<'prune.all'> {
  return { ...pruneContainersParams(config, performer, config.retainContainers), ...pruneImagesParams(config, performer) };
}

/** `proxy remove`: container, images and directory; without `force` only where no app is left on the host. */
export function proxyRemoveParams(config: ResolvedConfig, performer: string, force: boolean): OperationParams<'proxy.remove'> {
  return { ...scope(config, performer), removeImages: true, removeProxyDirectory: true, onlyWithoutApps: !force };
}

export function accessoryScope(config: ResolvedConfig, acc: ResolvedAccessory, performer: string) {
  return { ...scope(config, performer), name: acc.name, accessoryService: acc.service };
}

/**
 * An accessory's own `registry:`, else the root registry when the image lives there (Kamal logs in to the
 * root registry on every host; an image from elsewhere, e.g. Docker Hub, is pulled without those credentials).
 */
function accessoryRegistry(config: ResolvedConfig, acc: ResolvedAccessory, secrets: Secrets): RegistryAuth | null {
  if (acc.registry) return registryAuth(acc.registry, secrets);
  const server = config.registry.server;
  return server && acc.image.startsWith(`${server}/`) ? registryAuth(config.registry, secrets) : null;
}

export function accessoryBootParams(config: ResolvedConfig, acc: ResolvedAccessory, secrets: Secrets, assets: SubmittedAssets, performer: string): OperationParams<'accessory.boot'> {
  const fileContent = (local: string) => {
    const content = assets.accessoryFiles[local];
    if (content === undefined) throw new UserError(`accessories/${acc.name}/files: ${local} was not sent with this deployment`);
    return content;
  };
  return {
    ...accessoryScope(config, acc, performer),
    image: acc.image,
    registry: accessoryRegistry(config, acc, secrets),
    cmd: acc.cmd === null ? null : shellSplit(acc.cmd),
    publish: acc.publish,
    labels: acc.labels,
    restartPolicy: acc.restartPolicy,
    options: acc.options as OperationParams<'accessory.boot'>['options'],
    env: envSpec(acc.env, secrets),
    files: acc.files.map((f) => ({ hostPath: f.hostPath, remote: f.remote, content: fileContent(f.local), mode: f.mode ?? '755', owner: f.owner, options: f.options })),
    directories: acc.directories.map((d) => ({ hostPath: d.hostPath, remote: d.remote, mode: d.mode, owner: d.owner, options: d.options })),
    volumes: acc.volumeArgs.slice(0, acc.volumeArgs.length - acc.files.length - acc.directories.length),
    network: acc.network,
    logging: acc.logging,
    proxy: acc.proxy ? proxyDeploy(acc.service, acc.proxy, secrets) : null,
  };
}

/** What `accessory exec` in a new container takes from the accessory on `host`: image, registry, env, network, volumes. */
export function accessoryExecContainer(config: ResolvedConfig, acc: ResolvedAccessory, host: string, secrets: Secrets): NonNullable<OperationParams<'accessory.exec'>['container']> {
  const mounts = [...acc.files, ...acc.directories].map((e) => ({ hostPath: e.hostPath, remote: e.remote, options: e.options }));
  return {
    image: acc.image, registry: accessoryRegistry(config, acc, secrets), host, env: envSpec(acc.env, secrets),
    volumes: acc.volumeArgs.slice(0, acc.volumeArgs.length - mounts.length), network: acc.network, mounts,
  };
}

export function accessoryRemoveParams(config: ResolvedConfig, acc: ResolvedAccessory, performer: string): OperationParams<'accessory.remove'> {
  return {
    ...accessoryScope(config, acc, performer),
    proxied: acc.proxy !== null,
    removeImage: acc.image,
    // Kamal's `rm -rf <accessory service>`: the directory under the home holding its files and directories.
    removePaths: [acc.service],
  };
}

/** `accessory start|stop|restart`: a proxied accessory leaves kamal-proxy when stopped and is deployed to it again when started. */
export function accessorySimpleParams(config: ResolvedConfig, acc: ResolvedAccessory, performer: string): OperationParams<'accessory.start'> {
  return {
    ...accessoryScope(config, acc, performer),
    proxied: acc.proxy !== null,
    stopTimeout: null,
    proxy: acc.proxy ? proxyRedeploy(acc.service, acc.proxy) : null,
  };
}
