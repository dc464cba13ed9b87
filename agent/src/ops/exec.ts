import { PassThrough, type Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { dockerFailure } from './docker-errors.js';
import { removeContainer } from './containers.js';
import type { OperationContext } from './types.js';

export interface ExecIo { interactive: boolean; tty: boolean }

/**
 * Relays caller stdin into the hijacked socket. Without a TTY the end of the caller's stream is EOF
 * (half-close); a TTY has no EOF of its own (the caller sends ^D), and closing it early loses output.
 */
function pumpStdin(ctx: OperationContext, socket: Duplex, tty: boolean): void {
  if (!ctx.stdin) { if (!tty) socket.end?.(); return; }
  void (async () => {
    try {
      for await (const chunk of ctx.stdin!) {
        if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
      }
    } catch { /* caller went away; the process sees EOF */ }
    if (!tty) socket.end?.();
  })();
}

function pumpOutput(docker: Dockerode, socket: Duplex, tty: boolean, ctx: OperationContext): Promise<void> {
  const out = new PassThrough();
  if (tty) socket.pipe(out);
  else docker.modem.demuxStream(socket, out, out);
  let chain = Promise.resolve();
  out.on('data', (b: Buffer) => { chain = chain.then(() => ctx.emit(b)); });
  return new Promise((resolve) => {
    const done = () => void chain.then(resolve, resolve);
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', done);
  });
}

/** `docker exec [-it] <container> <argv>` (Kamal's `--reuse`): output streamed, stdin and resizes relayed. */
export async function execInContainer(docker: Dockerode, container: string, argv: string[], env: string[], io: ExecIo, host: string, ctx: OperationContext): Promise<number> {
  let exec: Dockerode.Exec;
  let socket: Duplex;
  try {
    exec = await docker.getContainer(container).exec({ Cmd: argv, Env: env, AttachStdin: io.interactive, AttachStdout: true, AttachStderr: true, Tty: io.tty });
    socket = (await exec.start({ hijack: true, stdin: io.interactive, Tty: io.tty })) as unknown as Duplex;
  } catch (e) {
    throw dockerFailure(`docker exec ${container} ${argv.join(' ')}`, host, e);
  }
  if (io.tty) ctx.onResize?.(({ cols, rows }) => void exec.resize({ h: rows, w: cols }).catch(() => undefined));
  if (io.interactive) pumpStdin(ctx, socket, io.tty);
  ctx.signal.addEventListener('abort', () => socket.destroy(), { once: true });
  await pumpOutput(docker, socket, io.tty, ctx);
  const info = await exec.inspect();
  return info.ExitCode ?? -1;
}

/** `docker run [-it] [--rm|--detach] --name … IMAGE CMD` (Kamal's exec in a new container). */
export async function runOneOff(docker: Dockerode, create: Dockerode.ContainerCreateOptions, io: ExecIo & { detach: boolean }, host: string, ctx: OperationContext): Promise<number> {
  let container: Dockerode.Container;
  let socket: Duplex;
  try {
    container = await docker.createContainer({ ...create, Tty: io.tty, OpenStdin: io.interactive, StdinOnce: io.interactive, AttachStdin: io.interactive, AttachStdout: true, AttachStderr: true });
    socket = (await container.attach({ stream: true, stdin: io.interactive, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    await container.start();
  } catch (e) {
    throw dockerFailure(`docker run --name ${create.name}`, host, e);
  }
  if (io.tty) ctx.onResize?.(({ cols, rows }) => void container.resize({ h: rows, w: cols }).catch(() => undefined));
  if (io.interactive) pumpStdin(ctx, socket, io.tty);
  ctx.signal.addEventListener('abort', () => void container.kill().catch(() => undefined), { once: true });
  const [, waited] = await Promise.all([pumpOutput(docker, socket, io.tty, ctx), container.wait() as Promise<{ StatusCode: number }>]);
  if (!io.detach) await removeContainer(docker, container.id, true);
  return waited.StatusCode;
}
