import { existsSync } from 'node:fs';
import Docker from 'dockerode';

export interface DockerInfo {
  version: string;
  apiVersion: string;
  /** The daemon's first registry mirror (`RegistryConfig.Mirrors[0]` of `docker info`), null when it has none. */
  registryMirror: string | null;
}

/** What the inventory's `docker.registryMirror` can carry. */
const MAX_MIRROR_LENGTH = 512;

/** Docker socket the agent uses: DOCKER_HOST (unix://…) or the default socket. */
export function dockerSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  return '/var/run/docker.sock';
}

/** A dockerode client, or null when this host has no Docker socket. */
export function dockerClient(env: NodeJS.ProcessEnv = process.env): Docker | null {
  const socketPath = dockerSocketPath(env);
  return existsSync(socketPath) ? new Docker({ socketPath, timeout: 5000 }) : null;
}

/** The first registry mirror in a `docker info` answer; null when there is none (or it is not a usable string). */
export function firstRegistryMirror(info: unknown): string | null {
  const mirrors = (info as { RegistryConfig?: { Mirrors?: unknown } } | null | undefined)?.RegistryConfig?.Mirrors;
  const first: unknown = Array.isArray(mirrors) ? mirrors[0] : undefined;
  if (typeof first !== 'string' || first === '' || first.length > MAX_MIRROR_LENGTH) return null;
  return first;
}

/**
 * Docker Engine version and registry mirror, or null when there is no socket or the daemon does not answer.
 * A failing `docker info` only leaves the mirror unknown (null).
 */
export async function dockerInfo(docker: Docker | null): Promise<DockerInfo | null> {
  if (!docker) return null;
  try {
    const [v, registryMirror] = await Promise.all([
      docker.version(),
      docker.info().then(firstRegistryMirror, () => null),
    ]);
    return { version: String(v.Version), apiVersion: String(v.ApiVersion), registryMirror };
  } catch {
    return null;
  }
}
