import { existsSync } from 'node:fs';
import Docker from 'dockerode';

export interface DockerInfo {
  version: string;
  apiVersion: string;
}

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

/** Docker Engine version, or null when there is no socket or the daemon does not answer. */
export async function dockerInfo(docker: Docker | null): Promise<DockerInfo | null> {
  if (!docker) return null;
  try {
    const v = await docker.version();
    return { version: String(v.Version), apiVersion: String(v.ApiVersion) };
  } catch {
    return null;
  }
}
