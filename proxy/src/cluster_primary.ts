/**
 * Multi-process mode (node:cluster). The primary owns the RPC socket, the state file, health
 * checks and metrics, and serves no traffic; workers share the HTTP/HTTPS listeners. Each
 * command runs on the primary's router first (health checks, validation, state), then on every
 * worker, whose routers take the targets as healthy and drain their own in-flight requests; the
 * command returns once all workers are done, so `deploy` returns only after every worker has
 * switched and drained.
 */
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import { Router, ProxyError } from './router.js';
import { RpcServer, type RpcHandler } from './rpc.js';
import { commandHandlers } from './commands.js';
import { Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { isToPrimary, type ToPrimary, type ToWorker } from './cluster_messages.js';
import type { ServerConfig } from './server.js';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

interface Pending {
  worker: Worker;
  resolve(message: ToPrimary | null): void;
}

export class ClusterPrimary {
  readonly logger: Logger;
  readonly router: Router;
  private readonly rpc: RpcServer;
  private readonly workers = new Set<Worker>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopping = false;
  private metricsServer: http.Server | null = null;

  constructor(private readonly config: ServerConfig, private readonly count: number, logger?: Logger) {
    this.logger = logger ?? new Logger(config.debug);
    this.router = new Router(config.statePath, this.logger, { onHealthChange: (service) => this.pushHealth(service) });
    this.rpc = new RpcServer(this.handlers());
  }

  async start(): Promise<void> {
    this.router.restore();
    // Workers accept on the shared sockets themselves (the kernel spreads connections), rather
    // than the primary accepting and handing each connection over.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    const ports = await Promise.all(Array.from({ length: this.count }, () => this.fork()));
    if (this.config.metricsPort > 0) {
      this.metricsServer = http.createServer((_req, res) => {
        void this.collectMetrics().then((text) => {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
          res.end(text);
        });
      });
      await new Promise<void>((resolve, reject) => {
        this.metricsServer!.once('error', reject);
        this.metricsServer!.listen(this.config.metricsPort, this.config.bind || undefined, () => resolve());
      });
    }
    await this.rpc.listen(this.config.socketPath);
    const metrics = (this.metricsServer?.address() as { port: number } | null)?.port ?? 0;
    this.logger.info('Server started', { http: ports[0]!.http, https: ports[0]!.https, metrics, socket: this.config.socketPath, workers: this.count });
  }

  async stop(): Promise<void> {
    this.logger.info('Server stopping');
    this.stopping = true;
    await this.rpc.close();
    const exited = [...this.workers].map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) return resolve();
      w.once('exit', () => resolve());
      const timer = setTimeout(() => w.process.kill('SIGKILL'), (this.config.shutdownTimeoutMs ?? 10_000) + 5_000);
      w.once('exit', () => clearTimeout(timer));
      this.send(w, { kind: 'stop' });
    }));
    await Promise.all(exited);
    await this.router.shutdown(0);
    await new Promise<void>((resolve) => (this.metricsServer ? this.metricsServer.close(() => resolve()) : resolve()));
    this.logger.info('Server stopped');
  }

  /** Every command but List: on the primary's router, then on every worker. */
  private handlers(): Record<string, RpcHandler> {
    const local = commandHandlers(this.router);
    const out: Record<string, RpcHandler> = {};
    for (const [method, handler] of Object.entries(local)) {
      out[method] = method === 'List' ? handler : async (params) => {
        const result = await handler(params);
        const replies = this.broadcast({ kind: 'command', method, params });
        // Workers install the targets as healthy; the primary's view follows (it may differ with --force).
        if (method === 'Deploy' || method === 'RolloutDeploy') this.pushHealth((params as { service: string }).service);
        const failure = (await replies).find((r) => r?.kind === 'reply' && r.error !== null);
        if (failure?.kind === 'reply' && failure.error) throw new ProxyError(failure.error);
        return result;
      };
    }
    return out;
  }

  private pushHealth(service: string): void {
    const snapshot = this.router.healthSnapshot(service);
    if (snapshot) for (const w of this.workers) this.send(w, { kind: 'health', snapshot });
  }

  private async collectMetrics(): Promise<string> {
    const total = new Metrics();
    for (const reply of await this.broadcast({ kind: 'metrics' })) {
      if (reply?.kind === 'metrics') total.absorb(reply.snapshot);
    }
    return total.render();
  }

  /** Sends to every live worker and waits for each answer (null from a worker that died meanwhile). */
  private broadcast(message: WithoutId<Extract<ToWorker, { id: number }>>): Promise<Array<ToPrimary | null>> {
    return Promise.all([...this.workers].map((worker) => new Promise<ToPrimary | null>((resolve) => {
      const id = this.nextId++;
      this.pending.set(id, { worker, resolve });
      this.send(worker, { ...message, id } as ToWorker);
    })));
  }

  private send(worker: Worker, message: ToWorker): void {
    if (!worker.isDead() && worker.isConnected()) worker.send(message);
  }

  /** Starts a worker and resolves with its ports once it listens; rejects if it cannot. */
  private fork(): Promise<{ http: number; https: number }> {
    const worker = cluster.fork();
    this.workers.add(worker);
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: unknown) => {
        if (!isToPrimary(m)) return;
        if (m.kind === 'ready') {
          ready = true;
          resolve({ http: m.http, https: m.https });
        } else if (m.kind === 'failed') {
          reject(new Error(m.error));
        } else {
          const p = this.pending.get(m.id);
          if (p) {
            this.pending.delete(m.id);
            p.resolve(m);
          }
        }
      });
      worker.once('exit', (code, signal) => {
        this.workers.delete(worker);
        // A dead worker answers nothing; its replacement starts from the state file.
        for (const [id, p] of this.pending) if (p.worker === worker) { this.pending.delete(id); p.resolve(null); }
        if (!ready) return reject(new Error(`worker exited during startup (${signal ?? code})`));
        if (this.stopping) return;
        this.logger.error('Worker exited; starting another', { pid: worker.process.pid, code, signal });
        this.fork().then(
          () => { for (const name of this.router.serviceNames) this.pushHealth(name); },
          (err: Error) => this.logger.error('Unable to start worker', { error: err.message }),
        );
      });
    });
  }
}
