import type Dockerode from 'dockerode';
import { UserError } from '@drover/shared';
import { KAMAL_DEFAULTS } from '@drover/shared/config/kamal-defaults';
import type { DockerOptions, ProxyRun } from '@drover/shared/operations';
import { addPublish, applyDockerOptions } from './docker-options.js';
import { restartPolicy, splitRestart } from './container-spec.js';
import { KAMAL_NETWORK, MINIMUM_PROXY_VERSION, PROXY_APPS_CONFIG_MOUNT, PROXY_CONFIG_VOLUME, PROXY_CONTAINER, PROXY_HOME } from './names.js';

type Create = Dockerode.ContainerCreateOptions;

/** The fixed part of Kamal's proxy `docker run`: name, network, restart, state volume, apps-config bind. */
function base(image: string, appsConfigDir: string): Create {
  return {
    name: PROXY_CONTAINER,
    Image: image,
    HostConfig: {
      NetworkMode: KAMAL_NETWORK,
      RestartPolicy: restartPolicy(KAMAL_DEFAULTS.restartPolicy),
      Binds: [`${PROXY_CONFIG_VOLUME}:${PROXY_HOME}/.config/kamal-proxy`, `${appsConfigDir}:${PROXY_APPS_CONFIG_MOUNT}`],
    },
  };
}

/** With `proxy.run`: `--publish [ip:]80:80 --publish [ip:]443:443 --log-opt max-size=… [--expose=M] [opts] IMAGE kamal-proxy run [--debug] [--metrics-port "M"]`. */
export function proxyContainerOptions(run: ProxyRun, appsConfigDir: string, home: string): Create {
  const create = base(run.image, appsConfigDir);
  if (run.publish) {
    const ips = run.bindIps.length > 0 ? run.bindIps : [null];
    for (const ip of ips) {
      const prefix = ip === null ? '' : ip.includes(':') ? `[${ip}]:` : `${ip}:`;
      addPublish(create, `${prefix}${run.httpPort}:80`);
      addPublish(create, `${prefix}${run.httpsPort}:443`);
    }
  }
  create.HostConfig!.LogConfig = { Type: '', Config: { 'max-size': run.logMaxSize } };
  if (run.metricsPort !== null) create.ExposedPorts = { ...create.ExposedPorts, [`${run.metricsPort}/tcp`]: {} };
  const { rest } = splitRestart(run.options, KAMAL_DEFAULTS.restartPolicy);
  applyDockerOptions(create, rest, home);
  create.Cmd = ['kamal-proxy', 'run', ...(run.debug ? ['--debug'] : []), ...(run.metricsPort !== null ? ['--metrics-port', String(run.metricsPort)] : [])];
  return create;
}

/** Legacy boot config (`.kamal/proxy/{options,image,image_version,run_command}`), with Kamal's defaults for missing files. */
export interface LegacyProxyConfig {
  options: DockerOptions;
  image: string;
  runCommand: string[] | null;
}

export const LEGACY_DEFAULT_OPTIONS = '--publish 80:80 --publish 443:443 --log-opt max-size=10m';
export const LEGACY_DEFAULT_IMAGE = 'basecamp/kamal-proxy';

export function legacyProxyContainerOptions(legacy: LegacyProxyConfig, appsConfigDir: string, home: string): Create {
  const create = base(legacy.image, appsConfigDir);
  applyDockerOptions(create, legacy.options, home);
  if (legacy.runCommand && legacy.runCommand.length > 0) create.Cmd = legacy.runCommand;
  return create;
}

/** `docker inspect kamal-proxy --format '{{.Config.Image}}' | awk -F: '{print $NF}'` */
export function imageTagVersion(image: string): string {
  return image.split(':').pop() ?? image;
}

function parseVersion(version: string): number[] {
  const bare = version.replace(/^v/, '');
  if (!/^\d+(\.[0-9A-Za-z]+)*(-[0-9A-Za-z.]+)?$/.test(bare)) throw new UserError(`Malformed version number string ${bare}`);
  return bare.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : -1));
}

/** Gem::Version comparison on the numeric segments (`v0.9.10` > `v0.9.2`; pre-releases sort lower). */
export function olderVersion(version: string, other: string): boolean {
  const a = parseVersion(version);
  const b = parseVersion(other);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

/** Kamal's check on an existing proxy before `proxy boot`. */
export function checkProxyVersion(image: string): void {
  const version = imageTagVersion(image);
  if (version && olderVersion(version, MINIMUM_PROXY_VERSION)) {
    throw new UserError(`kamal-proxy version ${version} is too old, run \`kamal proxy reboot\` in order to update to at least ${MINIMUM_PROXY_VERSION}`);
  }
}
