import type Dockerode from 'dockerode';
import { UserError } from '@drover/shared';
import type { RegistryAuth } from '@drover/shared/operations';
import { daemonMessage, isNotFound } from './docker-errors.js';
import type { Chunk } from './types.js';

const DOCKER_HUB = 'https://index.docker.io/v1/';

export function authConfig(auth: RegistryAuth | null): Dockerode.AuthConfig | undefined {
  if (!auth) return undefined;
  return { username: auth.username, password: auth.password, serveraddress: auth.server ?? DOCKER_HUB };
}

/** `docker login`: the daemon checks the credentials against the registry. */
export async function registryLogin(docker: Dockerode, auth: RegistryAuth, host: string): Promise<string> {
  try {
    const res = (await docker.checkAuth(authConfig(auth)!)) as { Status?: string };
    return res.Status ?? 'Login Succeeded';
  } catch (e) {
    throw new UserError(`docker login ${auth.server ?? 'Docker Hub'} failed on ${host}: ${daemonMessage(e)}`, { cause: e });
  }
}

interface ProgressEvent { id?: string; status?: string; progress?: string; error?: string }

/** Formats pull progress like the docker CLI's plain output, throttling per-layer byte counters to one line a second. */
export function progressPrinter(emit: (c: Chunk) => void | Promise<void>): (e: ProgressEvent) => void {
  const last = new Map<string, number>();
  return (e) => {
    if (!e.status) return;
    const counting = e.status === 'Downloading' || e.status === 'Extracting';
    const key = `${e.id ?? ''}:${e.status}`;
    const now = Date.now();
    if (counting && now - (last.get(key) ?? 0) < 1000) return;
    last.set(key, now);
    void emit(`${e.id ? `${e.id}: ` : ''}${e.status}${counting && e.progress ? ` ${e.progress}` : ''}\n`);
  };
}

/** `docker pull`, streaming progress; the error says what the registry said. */
export async function pullImage(docker: Dockerode, image: string, auth: RegistryAuth | null, host: string, emit: (c: Chunk) => void | Promise<void>, signal?: AbortSignal): Promise<void> {
  const onProgress = progressPrinter(emit);
  try {
    const stream = (await docker.pull(image, { authconfig: authConfig(auth), abortSignal: signal })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()), onProgress);
    });
  } catch (e) {
    throw new UserError(`docker pull ${image} failed on ${host}: ${daemonMessage(e)}`, { cause: e });
  }
}

/** Pulls the image only when the host does not have it (what `docker run` does implicitly). */
export async function ensureImage(docker: Dockerode, image: string, auth: RegistryAuth | null, host: string, emit: (c: Chunk) => void | Promise<void>): Promise<void> {
  try {
    await docker.getImage(image).inspect();
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await emit(`Unable to find image '${image}' locally\n`);
    await pullImage(docker, image, auth, host, emit);
  }
}
