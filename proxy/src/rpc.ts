/**
 * CLI <-> server calls over the unix socket: one JSON object per line each way,
 * `{"method","params"}` -> `{"result"}` or `{"error"}`. Calls are synchronous like kamal-proxy's
 * net/rpc: the answer comes when the operation (health wait, drain) is over.
 */
import net from 'node:net';
import { existsSync, unlinkSync } from 'node:fs';

export type RpcHandler = (params: unknown) => Promise<unknown> | unknown;

const MAX_LINE = 1 << 20;

export class RpcServer {
  private server: net.Server | null = null;

  constructor(private readonly handlers: Record<string, RpcHandler>) {}

  async listen(path: string): Promise<void> {
    if (existsSync(path)) unlinkSync(path);
    const server = net.createServer((socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private onConnection(socket: net.Socket): void {
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      pending += chunk;
      if (pending.length > MAX_LINE) {
        socket.end(JSON.stringify({ error: 'request too large' }) + '\n');
        return;
      }
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        void this.answer(line).then((reply) => {
          if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
        });
      }
    });
  }

  private async answer(line: string): Promise<{ result?: unknown; error?: string }> {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return { error: 'invalid request: not JSON' };
    }
    const method = (message as { method?: unknown } | null)?.method;
    if (typeof method !== 'string' || !Object.hasOwn(this.handlers, method)) {
      return { error: `rpc: can't find method ${String(method)}` };
    }
    try {
      const result = await this.handlers[method]!((message as { params?: unknown }).params);
      return { result: result ?? true };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }
}

export class RpcCallError extends Error {}

/** One call; rejects with the server's error text, or a dial error when no server listens. */
export function callRpc(path: string, method: string, params: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(path);
    let buffer = '';
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      fn();
    };
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(JSON.stringify({ method, params }) + '\n'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      let reply: { result?: unknown; error?: unknown };
      try {
        reply = JSON.parse(buffer.slice(0, nl));
      } catch {
        return settle(() => reject(new RpcCallError('invalid reply from kamal-proxy server')));
      }
      if (typeof reply.error === 'string') settle(() => reject(new RpcCallError(reply.error as string)));
      else settle(() => resolve(reply.result));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'ECONNREFUSED' ? 'connection refused' : err.message;
      settle(() => reject(new RpcCallError(`dial unix ${path}: connect: ${reason}`)));
    });
    socket.once('close', () => settle(() => reject(new RpcCallError('unexpected EOF'))));
  });
}
