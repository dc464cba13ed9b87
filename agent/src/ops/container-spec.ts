import type Dockerode from 'dockerode';
import type { DockerOptions, EnvSpec, Logging } from '@drover/shared/operations';
import { applyDockerOptions, addPublish, addVolume } from './docker-options.js';
import { clearEnvEntries } from './env-file.js';
import { KAMAL_NETWORK } from './names.js';

type Create = Dockerode.ContainerCreateOptions;

/** `--restart unless-stopped`, `on-failure:5`, … as the API's RestartPolicy. */
export function restartPolicy(text: string): { Name: string; MaximumRetryCount?: number } {
  const [name, count] = text.split(':');
  return count === undefined ? { Name: name! } : { Name: name!, MaximumRetryCount: Number(count) };
}

export function logConfig(logging: Logging): { Type: string; Config: Record<string, string> } {
  return { Type: logging.driver ?? '', Config: { ...logging.options } };
}

/** Kamal's options hash minus `restart`, which becomes the restart policy. */
export function splitRestart(options: DockerOptions, fallback: string): { restart: string; rest: DockerOptions } {
  const { restart, ...rest } = options;
  return { restart: restart === undefined ? fallback : String(restart), rest };
}

export interface AppContainerInput {
  name: string;
  image: string;
  hostname: string;
  version: string;
  /** KAMAL_HOST */
  host: string;
  destination: string | null;
  env: EnvSpec;
  /** What the docker CLI would read from the env file (`--env-file`). */
  envFileEntries: string[];
  labels: Record<string, string>;
  restartPolicy: string;
  logging: Logging;
  volumes: string[];
  /** `$PWD/.kamal/apps/<svc-dest>/assets/volumes/<role>-<version>:<asset_path>[:opts]` when bridging assets. */
  assetVolume: string | null;
  options: DockerOptions;
  cmd: string[] | null;
  /** Kamal's `$PWD` for volume entries. */
  home: string;
  hostEnv: NodeJS.ProcessEnv;
}

/**
 * The Engine API equivalent of Kamal's app `docker run` (reference §5):
 * `--detach --restart R --name N --network kamal --hostname H --env KAMAL_… [--env K=v] --env-file F
 *  --log-opt … [--volume …] --label service/role/destination [labels] [options] IMAGE [cmd]`.
 * The CLI puts env-file entries before `--env` values in Config.Env; so does this.
 */
export function appContainerOptions(input: AppContainerInput): Create {
  const { restart, rest } = splitRestart(input.options, input.restartPolicy);
  const kamalEnv = [
    `KAMAL_CONTAINER_NAME=${input.name}`,
    `KAMAL_VERSION=${input.version}`,
    `KAMAL_HOST=${input.host}`,
    ...(input.destination ? [`KAMAL_DESTINATION=${input.destination}`] : []),
  ];
  const create: Create = {
    name: input.name,
    Image: input.image,
    Hostname: input.hostname,
    Env: [...input.envFileEntries, ...kamalEnv, ...clearEnvEntries(input.env.clear, input.hostEnv)],
    Labels: { ...input.labels },
    HostConfig: {
      RestartPolicy: restartPolicy(restart),
      NetworkMode: KAMAL_NETWORK,
      LogConfig: logConfig(input.logging),
    },
  };
  for (const v of input.volumes) addVolume(create, v, input.home);
  if (input.assetVolume) addVolume(create, input.assetVolume, input.home);
  applyDockerOptions(create, rest, input.home);
  if (input.cmd) create.Cmd = input.cmd;
  return create;
}

export interface AccessoryContainerInput {
  name: string;
  image: string;
  host: string;
  env: EnvSpec;
  envFileEntries: string[];
  labels: Record<string, string>;
  restartPolicy: string;
  network: string;
  logging: Logging;
  publish: string | null;
  volumes: string[];
  options: DockerOptions;
  cmd: string[] | null;
  home: string;
  hostEnv: NodeJS.ProcessEnv;
}

export interface AccessoryExecInput {
  name: string;
  image: string;
  host: string;
  env: EnvSpec;
  envFileEntries: string[];
  network: string;
  volumes: string[];
  cmd: string[];
  home: string;
  hostEnv: NodeJS.ProcessEnv;
}

/**
 * Kamal's `accessory exec` in a new container: `docker run --rm --network N --env KAMAL_HOST … --env-file F
 * --volume … IMAGE CMD`: the accessory's image, network, env and volumes, none of its labels, ports or options,
 * so the one-off is nobody's accessory.
 */
export function accessoryExecContainerOptions(input: AccessoryExecInput): Create {
  const create: Create = {
    name: input.name,
    Image: input.image,
    Env: [...input.envFileEntries, `KAMAL_HOST=${input.host}`, ...clearEnvEntries(input.env.clear, input.hostEnv)],
    HostConfig: { NetworkMode: input.network },
    Cmd: input.cmd,
  };
  for (const v of input.volumes) addVolume(create, v, input.home);
  return create;
}

/** Kamal's accessory `docker run --name N --detach --restart R --network kamal --log-opt … --publish P --env KAMAL_HOST … --env-file F --volume … --label service=… [opts] IMAGE [cmd]`. */
export function accessoryContainerOptions(input: AccessoryContainerInput): Create {
  const { restart, rest } = splitRestart(input.options, input.restartPolicy);
  const create: Create = {
    name: input.name,
    Image: input.image,
    Env: [...input.envFileEntries, `KAMAL_HOST=${input.host}`, ...clearEnvEntries(input.env.clear, input.hostEnv)],
    Labels: { service: input.name, ...input.labels },
    HostConfig: {
      RestartPolicy: restartPolicy(restart),
      NetworkMode: input.network,
      LogConfig: logConfig(input.logging),
    },
  };
  if (input.publish) addPublish(create, input.publish);
  for (const v of input.volumes) addVolume(create, v, input.home);
  applyDockerOptions(create, rest, input.home);
  if (input.cmd) create.Cmd = input.cmd;
  return create;
}
