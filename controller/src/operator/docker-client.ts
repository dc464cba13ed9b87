import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { UserError } from '@drover/shared/errors';

/** Where the operator's Docker is, from `DOCKER_HOST` (unix:// or tcp://, with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH), else /var/run/docker.sock. */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): { options: Docker.DockerOptions; display: string } {
  const host = env.DOCKER_HOST?.trim();
  if (!host) return { options: { socketPath: '/var/run/docker.sock' }, display: 'unix:///var/run/docker.sock' };
  if (host.startsWith('unix://')) return { options: { socketPath: host.slice('unix://'.length) }, display: host };
  if (host.startsWith('tcp://')) {
    const url = new URL(`http://${host.slice('tcp://'.length)}`);
    const tls = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
    const port = Number(url.port || (tls ? 2376 : 2375));
    if (!tls) return { options: { host: url.hostname, port, protocol: 'http' }, display: host };
    const certPath = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
    const read = (f: string) => {
      try {
        return readFileSync(join(certPath, f));
      } catch (err) {
        throw new UserError(`DOCKER_TLS_VERIFY is set but ${join(certPath, f)} can't be read: ${(err as Error).message}`);
      }
    };
    return { options: { host: url.hostname, port, protocol: 'https', ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') }, display: host };
  }
  throw new UserError(`DOCKER_HOST=${host} is not supported by Drover's build (use unix:// or tcp://)`);
}

export function dockerFromEnv(env: NodeJS.ProcessEnv = process.env): { docker: Docker; display: string } {
  const { options, display } = dockerEndpoint(env);
  return { docker: new Docker(options), display };
}

/** The daemon's message from a dockerode error (`(HTTP code 500) server error - <message>`). */
export function dockerErrorMessage(err: unknown): string {
  const e = err as { json?: unknown; reason?: string; message?: string; statusCode?: number };
  if (e && typeof e.json === 'object' && e.json !== null && typeof (e.json as { message?: unknown }).message === 'string') {
    return ((e.json as { message: string }).message).trim();
  }
  if (e && typeof e.json === 'string' && e.json.trim()) {
    try {
      const parsed = JSON.parse(e.json) as { message?: string };
      if (parsed.message) return parsed.message.trim();
    } catch {
      return e.json.trim();
    }
  }
  return (e?.message ?? String(err)).trim();
}

/** True for errors that mean nothing answered (no daemon, wrong socket). */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ECONNRESET';
}
