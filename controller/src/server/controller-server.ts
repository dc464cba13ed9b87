import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { AGENT_CONNECT_PATH, AGENT_ENROLL_PATH } from '@drover/shared/protocol';
import { loadControllerIdentity, type ControllerIdentity } from '../auth/controller-identity.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { ROLLOUT_DEFAULTS } from '../rollout/defaults.js';
import { lockDataDir } from '../store/data-dir-lock.js';
import type { Store } from '../store/store.js';
import { AgentHub } from './agent-hub.js';
import { Metrics } from './metrics.js';
import { registerEnrollRoute } from './routes-enroll.js';
import { operatorRoutes } from './routes-operator.js';
import { deploymentRoutes } from './routes-deployments.js';
import { convergenceRoutes } from './routes-convergence.js';
import { opsRoutes } from './routes-ops.js';
import { tokenRoutes } from './routes-tokens.js';
import { installRoutes } from './routes-install.js';
import { ExecGateway } from './exec-gateway.js';
import { sendError } from './http-errors.js';
import { ConnectionLimits, DEFAULT_LISTENER_LIMITS, listenerTimeouts, type ListenerLimits, type Refusal } from './connection-limits.js';
import { useOperatorScopes, useZodSchemas } from './route-schemas.js';
import { Deployments } from '../rollout/deployments.js';
import { Convergence } from '../rollout/convergence.js';
import { DeploymentRequest } from './deployments-api.js';
import { hubAgentCaller } from '../rollout/agent-caller.js';
import { SecretBox } from '../store/secret-box.js';
import { ImageStore } from '../store/image-store.js';
import type { AgentPresence } from '../plan/types.js';

export interface ControllerServerOptions {
  host: string;
  port: number;
  dataDir: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  insecureHttp?: boolean;
  publicUrl?: string | null;
  heartbeatMs?: number;
  /** Serve /metrics without a token (a scraper on a trusted network); by default it needs scope metrics. */
  openMetrics?: boolean;
  logLevel?: string;
  /** Connection caps, timeouts and per-address rate limits; unset ones are DEFAULT_LISTENER_LIMITS. */
  limits?: Partial<ListenerLimits>;
  /** Where pino writes; defaults to stdout. */
  logStream?: NodeJS.WritableStream;
}

export interface RunningController {
  app: FastifyInstance;
  hub: AgentHub;
  store: Store;
  identity: ControllerIdentity;
  metrics: Metrics;
  deployments: Deployments;
  /** Base URL we listen on (with the real port). */
  url: string;
  close(): Promise<void>;
}

/** Starts the controller: data-dir lock, store, identity, HTTPS app, and the agent websocket hub. */
export async function startController(opts: ControllerServerOptions): Promise<RunningController> {
  // Before anything reads the data dir: two controllers on it would race key generation and split the fleet.
  const lock = lockDataDir(opts.dataDir);
  try {
    const running = await startLocked(opts);
    return { ...running, async close() { await running.close(); lock.release(); } };
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function startLocked(opts: ControllerServerOptions): Promise<RunningController> {
  const identity = loadControllerIdentity(opts.dataDir, { certFile: opts.tlsCertFile, keyFile: opts.tlsKeyFile });
  const store = new SqliteStore(opts.dataDir);
  const metrics = new Metrics();
  const scheme = opts.insecureHttp ? 'http' : 'https';
  const listenerLimits: ListenerLimits = { ...DEFAULT_LISTENER_LIMITS, ...opts.limits };
  const app = Fastify({
    logger: { level: opts.logLevel ?? 'info', stream: opts.logStream, redact: ['req.headers.authorization', 'body.token'] },
    bodyLimit: 1024 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    ...(opts.insecureHttp ? {} : { https: { cert: identity.tls.certPem, key: identity.tls.keyPem, ...listenerTimeouts(listenerLimits) } }),
  }) as unknown as FastifyInstance;
  const limits = new ConnectionLimits(listenerLimits, app.log);
  limits.attach(app.server);
  const hub = new AgentHub({
    store, controllerId: identity.controllerId, log: app.log, metrics, heartbeatMs: opts.heartbeatMs,
    onAuthFailure: (address, reason) => limits.recordFailure(address, 'agent auth', reason),
    onAuthenticated: (socket) => limits.markAuthenticated(socket),
  });
  limitAttempts(app, limits);

  app.setErrorHandler((err: { statusCode?: number; message?: string; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'request failed');
    return sendError(reply, status, status === 500 ? 'internal' : (err.code ?? 'bad_request'), status === 500 ? 'internal error; see controller log' : (err.message ?? 'bad request'));
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
  useZodSchemas(app);
  useOperatorScopes(app, store);
  const images = new ImageStore(opts.dataDir);
  const secretBox = SecretBox.open(opts.dataDir);
  const convergence = new Convergence({
    pending: store.convergence, store, secretBox, log: app.log,
    submit: (req, lockKey) => deployments.submit(DeploymentRequest.parse(req), { lockKey }),
    isOnline: (host) => hub.isOnlineByName(host),
    agentLabels: () => Object.fromEntries(store.listAgents().map((a) => [a.name, { labels: a.labels }])),
  });
  const deployments: Deployments = new Deployments({
    store, secretBox, log: app.log, images,
    agents: hubAgentCaller(hub, { reconnectMs: ROLLOUT_DEFAULTS.agentReconnectMs }),
    presence: () => agentPresence(store, hub),
    onFinished: (record, plan, outcome, scope) => convergence.deploymentFinished(record, plan, outcome, scope),
  });
  deployments.recoverInterrupted();
  convergence.start();
  hub.on('online', () => convergence.soon());

  // Unauthenticated, so it says nothing but "up" (no id, no counts).
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/metrics', { config: opts.openMetrics ? {} : { scope: 'metrics' } }, async (_req, reply) => reply.type('text/plain; version=0.0.4').send(metrics.render({ agentsEnrolled: store.listAgents().length })));
  registerEnrollRoute(app, { store, identity, metrics, limits });
  await app.register(operatorRoutes, { store, hub, identity, publicUrl: opts.publicUrl ?? null, scheme });
  await app.register(tokenRoutes, { store });
  await app.register(deploymentRoutes, { store, deployments, images });
  await app.register(convergenceRoutes, { pending: store.convergence, convergence });
  await app.register(opsRoutes, { store, hub });
  await app.register(installRoutes, { fingerprint: identity.fingerprint, publicUrl: opts.publicUrl ?? null, scheme });
  const execGateway = new ExecGateway({ store, hub, log: app.log });

  // Websockets: agents dial in here; operators attach their terminal to an exec here.
  app.server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    try {
      const refusal = limits.refuseAuthentication(req.socket.remoteAddress ?? '');
      if (refusal) return void socket.end(tooManyRequests(refusal));
      if (path === AGENT_CONNECT_PATH) return hub.handleUpgrade(req, socket, head);
      if (execGateway.handles(path)) return execGateway.handleUpgrade(req, socket, head);
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    } catch (err) {
      // A failed upgrade ends this socket, never the controller.
      app.log.error({ err, path }, 'websocket upgrade failed');
      socket.destroy();
    }
  });

  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closed = false;
  return {
    app, hub, store, identity, metrics, deployments,
    url: `${scheme}://${hostForUrl === '0.0.0.0' ? '127.0.0.1' : hostForUrl}:${port}`,
    async close() {
      if (closed) return;
      closed = true;
      convergence.stop();
      await deployments.close();
      execGateway.close();
      hub.close();
      limits.close();
      await app.close();
      store.close();
    },
  };
}

/**
 * Enrollments and authenticated requests from an address over its budget get 429; each 401 spends
 * the budget (the enroll route spends it itself, with the reason).
 */
function limitAttempts(app: FastifyInstance, limits: ConnectionLimits): void {
  const isEnroll = (url: string) => url.split('?')[0] === AGENT_ENROLL_PATH;
  app.addHook('onRequest', async (req, reply) => {
    const refusal = isEnroll(req.url) ? limits.refuseEnrollment(req.ip) : req.headers.authorization ? limits.refuseAuthentication(req.ip) : null;
    if (refusal) return sendError(reply.header('retry-after', String(refusal.retryAfterSeconds)), 429, 'rate_limited', refusal.message);
  });
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode === 401 && !isEnroll(req.url)) limits.recordFailure(req.ip, 'operator auth', `operator token refused on ${req.method} ${req.url.split('?')[0]}`);
  });
}

/** A websocket upgrade refused before it starts: a bare HTTP answer. */
function tooManyRequests(refusal: Refusal): string {
  const body = JSON.stringify({ error: { code: 'rate_limited', message: refusal.message } });
  return `HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${refusal.retryAfterSeconds}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** What the planner knows of each enrolled agent: connected or not, and its last inventory. */
function agentPresence(store: Store, hub: AgentHub): Record<string, AgentPresence> {
  const out: Record<string, AgentPresence> = {};
  for (const a of store.listAgents()) {
    const inventory = hub.inventoryOf(a.id);
    const online = hub.isOnline(a.id);
    out[a.name] = {
      online,
      lastSeen: online ? Date.now() : a.lastSeen,
      registryMirror: inventory?.docker?.registryMirror ?? null,
      containers: inventory?.managed ? inventory.managed.containers.map((c) => c.name) : null,
      labels: a.labels,
    };
  }
  return out;
}
