import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { UserError } from '@drover/shared';
import { daemonMessage, isNotFound } from './docker-errors.js';
import { PROXY_CONTAINER } from './names.js';

export interface Captured { exitCode: number; stdout: string; stderr: string }

/** `docker exec <container> <argv>` through the exec API, collecting output (no TTY, no stdin). */
export async function execCapture(docker: Dockerode, container: string, argv: string[], env: string[] = []): Promise<Captured> {
  const exec = await docker.getContainer(container).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, Env: env });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (b: Buffer) => out.push(b));
  const stderr = new PassThrough().on('data', (b: Buffer) => err.push(b));
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/**
 * `docker exec kamal-proxy kamal-proxy <args…>`: the error names the host and carries kamal-proxy's
 * own message (`Error: target failed to become healthy…`) when it exits non-zero.
 */
export async function kamalProxy(docker: Dockerode, host: string, args: string[]): Promise<Captured> {
  const argv = ['kamal-proxy', ...args];
  const shown = `docker exec kamal-proxy ${argv.join(' ')}`;
  let result: Captured;
  try {
    result = await execCapture(docker, PROXY_CONTAINER, argv);
  } catch (e) {
    if (isNotFound(e)) throw new UserError(`${shown} failed on ${host}: No such container: kamal-proxy (the proxy is not booted; run \`kamal proxy boot\`)`, { cause: e });
    throw new UserError(`${shown} failed on ${host}: ${daemonMessage(e)}`, { cause: e });
  }
  if (result.exitCode !== 0) {
    const output = (result.stderr.trim() || result.stdout.trim() || `exit status ${result.exitCode}`);
    throw new UserError(`${shown} failed on ${host}: ${output}`, { details: [`exit status ${result.exitCode}`] });
  }
  return result;
}
