/** A cluster worker: serves traffic on the shared listeners and applies what the primary sends. */
import { ProxyServer, type ServerConfig } from './server.js';
import { commandHandlers } from './commands.js';
import { isToWorker, type ToPrimary } from './cluster_messages.js';

function send(message: ToPrimary): void {
  process.send?.(message);
}

export async function runWorker(config: ServerConfig): Promise<void> {
  const server = new ProxyServer({ ...config, role: 'worker' });
  const handlers = commandHandlers(server.router);
  let stopping: Promise<void> | null = null;
  const stop = (code: number): Promise<void> => {
    stopping ??= server.stop().finally(() => process.exit(code));
    return stopping;
  };
  // The primary decides when workers stop; a Ctrl-C reaching the whole process group must not cut them short.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  // Without a primary nobody can deploy or stop us: leave gracefully.
  process.on('disconnect', () => void stop(0));
  process.on('message', (m: unknown) => {
    if (!isToWorker(m)) return;
    switch (m.kind) {
      case 'command': {
        const handler = handlers[m.method];
        Promise.resolve()
          .then(() => (handler ? handler(m.params) : Promise.reject(new Error(`unknown method ${m.method}`))))
          .then(
            () => send({ kind: 'reply', id: m.id, error: null }),
            (err: unknown) => send({ kind: 'reply', id: m.id, error: err instanceof Error ? err.message : String(err) }),
          );
        return;
      }
      case 'health':
        return server.router.applyHealth(m.snapshot);
      case 'metrics':
        return send({ kind: 'metrics', id: m.id, snapshot: server.metrics.snapshot() });
      case 'stop':
        return void stop(0);
    }
  });
  try {
    await server.start();
  } catch (err) {
    send({ kind: 'failed', error: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  send({ kind: 'ready', http: server.httpPort, https: server.httpsPort });
}
