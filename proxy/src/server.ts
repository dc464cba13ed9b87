/** The running proxy: HTTP and HTTPS listeners, request pipeline and log, metrics, RPC socket, shutdown. */
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { Router } from './router.js';
import { RpcServer } from './rpc.js';
import { commandHandlers } from './commands.js';
import { Logger } from './logger.js';
import { Metrics } from './metrics.js';
import type { Exchange } from './exchange.js';
import type { ProxyRequest, ProxyResponse } from './proxy_context.js';
import { FastConnection, type FastHandler } from './fast_connection.js';
import {
  DEFAULT_CLIENT_TIMEOUTS, headersCheckIntervalMs, answerClientError, trackResponse, limitBodySilence, type ClientTimeouts,
} from './client_limits.js';
import { checkRequestTarget } from './request_target.js';

export interface ServerConfig {
  bind: string;
  httpPort: number;
  httpsPort: number;
  metricsPort: number;
  socketPath: string;
  statePath: string | null;
  debug: boolean;
  shutdownTimeoutMs?: number;
  /**
   * 'worker': one of several cluster workers. It serves traffic only; the primary owns the RPC
   * socket, the state file, health checks and metrics (see cluster_primary.ts).
   */
  role?: 'standalone' | 'worker';
  /**
   * Serve plain HTTP/1.1 keep-alive requests on raw sockets (fast_connection.ts), everything else
   * with node:http. Default: on, unless KAMAL_PROXY_FAST_PATH=0.
   */
  fastPath?: boolean;
  /** Client header/idle/body timeouts (client_limits.ts); tests shorten them. */
  timeouts?: Partial<ClientTimeouts>;
}

export class ProxyServer {
  readonly logger: Logger;
  readonly router: Router;
  readonly metrics = new Metrics();
  private readonly rpc: RpcServer | null;
  private readonly isWorker: boolean;
  private ports = { http: 0, https: 0 };
  private httpServer: http.Server | null = null;
  /** With the fast path, the plain-HTTP listener; node:http gets the connections it hands over. */
  private fastListener: net.Server | null = null;
  private readonly fastConnections = new Set<FastConnection>();
  /** Requests served on the fast path so far (lets tests tell which path served them). */
  fastPathRequests = 0;
  private readonly fastHandler: FastHandler = {
    accepts: (head) => {
      const q = head.url.indexOf('?');
      return this.router.acceptsFastPath(head.headers.host, q < 0 ? head.url : head.url.slice(0, q), head.contentLength);
    },
    serve: (req, res, peer) => {
      this.fastPathRequests++;
      this.handle(req, res, null, null, 'http', peer);
    },
  };
  private httpsServer: https.Server | null = null;
  private metricsServer: http.Server | null = null;

  constructor(private readonly config: ServerConfig, logger?: Logger) {
    this.logger = logger ?? new Logger(config.debug);
    this.isWorker = config.role === 'worker';
    this.router = new Router(config.statePath, this.logger, { follower: this.isWorker });
    this.rpc = this.isWorker ? null : new RpcServer(commandHandlers(this.router));
  }

  get httpPort(): number {
    return ((this.fastListener ?? this.httpServer)?.address() as AddressInfo | null)?.port ?? 0;
  }

  get httpsPort(): number {
    return (this.httpsServer?.address() as AddressInfo | null)?.port ?? 0;
  }

  get metricsPort(): number {
    return (this.metricsServer?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    this.router.restore();
    if (this.config.metricsPort > 0 && !this.isWorker) {
      this.metricsServer = http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(this.metrics.render());
      });
      await listen(this.metricsServer, this.config.bind, this.config.metricsPort);
    }
    const timeouts: ClientTimeouts = { ...DEFAULT_CLIENT_TIMEOUTS, ...this.config.timeouts };
    // No limit on a whole request (a large upload may take long); its head and its body's silences are limited.
    const options: http.ServerOptions = {
      requestTimeout: 0, headersTimeout: timeouts.headersMs, keepAliveTimeout: timeouts.idleMs,
      connectionsCheckingInterval: headersCheckIntervalMs(timeouts),
    };
    const serveNode = (req: http.IncomingMessage, res: http.ServerResponse, scheme: 'http' | 'https'): void => {
      trackResponse(req, res);
      if (!checkRequestTarget(req, res)) return;
      if (hasBody(req)) limitBodySilence(req, res, timeouts.bodyMs);
      this.handle(req, res, null, null, scheme, peerOf(req));
    };
    this.httpServer = http.createServer(options, (req, res) => serveNode(req, res, 'http'));
    this.httpsServer = https.createServer(
      {
        ...options,
        // Node's default is 120 s; a socket that never completes TLS gets no more time than a request head.
        handshakeTimeout: timeouts.headersMs,
        ALPNProtocols: ['http/1.1'],
        SNICallback: (name, cb) => {
          const context = this.router.certificateFor(name);
          if (context) cb(null, context);
          else cb(new Error(`no certificate for ${name}`));
        },
      },
      (req, res) => serveNode(req, res, 'https'),
    );
    for (const [server, scheme] of [[this.httpServer, 'http'], [this.httpsServer, 'https']] as const) {
      server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
        if (checkRequestTarget(req, socket)) this.handle(req, null, socket, head, scheme, peerOf(req));
      });
      server.on('clientError', answerClientError);
    }
    if (this.config.fastPath ?? process.env.KAMAL_PROXY_FAST_PATH !== '0') {
      const httpServer = this.httpServer;
      // node:http starts its headersTimeout checker on 'listening', which never comes when it only gets handed-over sockets.
      httpServer.emit('listening');
      const handOver = (socket: net.Socket): void => void httpServer.emit('connection', socket);
      const gone = (c: FastConnection): void => void this.fastConnections.delete(c);
      this.fastListener = net.createServer({ noDelay: true }, (socket) => {
        this.fastConnections.add(new FastConnection(socket, this.fastHandler, handOver, timeouts, gone));
      });
      await listen(this.fastListener, this.config.bind, this.config.httpPort);
    } else {
      await listen(this.httpServer, this.config.bind, this.config.httpPort);
    }
    await listen(this.httpsServer, this.config.bind, this.config.httpsPort);
    this.ports = { http: this.httpPort, https: this.httpsPort };
    if (this.isWorker) return;
    await this.rpc!.listen(this.config.socketPath);
    this.logger.info('Server started', { http: this.httpPort, https: this.httpsPort, metrics: this.metricsPort, socket: this.config.socketPath });
  }

  /** Stops accepting, lets in-flight requests finish (bounded), then closes everything. */
  async stop(): Promise<void> {
    if (!this.isWorker) this.logger.info('Server stopping');
    const servers = [this.httpServer, this.httpsServer, this.metricsServer].filter((s): s is http.Server => s !== null);
    const listeners: net.Server[] = this.fastListener ? [...servers, this.fastListener] : servers;
    const closed = listeners.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const c of this.fastConnections) c.close();
    await this.rpc?.close();
    await this.router.shutdown(this.config.shutdownTimeoutMs ?? 10_000);
    for (const s of servers) s.closeAllConnections();
    for (const c of this.fastConnections) c.socket.destroy();
    await Promise.all(closed);
    if (!this.isWorker) this.logger.info('Server stopped');
  }

  private handle(
    req: ProxyRequest, res: ProxyResponse | null, socket: Duplex | null, head: Buffer | null, scheme: 'http' | 'https',
    peer: { address: string; port: number },
  ): void {
    const started = performance.now();
    const headers = req.headers;
    if (headers['x-request-start'] === undefined) headers['x-request-start'] = `t=${Date.now()}`;
    if (!headers['x-request-id']) headers['x-request-id'] = randomUUID();
    const ex: Exchange = {
      req, res, socket, head, scheme, pages: null, clientIp: peer.address,
      log: { service: '', target: '', status: 0, requestHeaders: [], responseHeaders: [], sent: null },
    };
    let service = '';
    const finished = (): void => {
      if (service) this.metrics.end(service, req.method, res && !res.writableFinished ? 499 : ex.log.status || res?.statusCode || 0, (performance.now() - started) / 1000);
      this.logRequest(ex, scheme, started, peer);
    };
    if (res) res.once('close', finished);
    else socket!.once('close', finished);
    // Routing is synchronous, so the service is known once serve() returns.
    this.router.serve(ex);
    service = ex.log.service;
    if (service) this.metrics.begin(service);
  }

  private logRequest(ex: Exchange, scheme: string, started: number, peer: { address: string; port: number }): void {
    const { req, res } = ex;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const fields: Record<string, unknown> = {
      host: req.headers.host ?? '',
      port: scheme === 'https' ? this.ports.https : this.ports.http,
      path: q < 0 ? url : url.slice(0, q),
      request_id: req.headers['x-request-id'],
      status: res && !res.writableFinished ? 499 : ex.log.status || res?.statusCode || 0,
      service: ex.log.service,
      target: ex.log.target,
      duration: Math.round((performance.now() - started) * 1e6),
      method: req.method,
      req_content_length: Number(req.headers['content-length'] ?? 0),
      req_content_type: req.headers['content-type'] ?? '',
      resp_content_length: Number(ex.log.sent?.['content-length'] ?? 0),
      resp_content_type: String(ex.log.sent?.['content-type'] ?? ''),
      client_addr: peer.address,
      client_port: peer.port,
      remote_addr: req.headers['x-forwarded-for'] ?? peer.address,
      user_agent: req.headers['user-agent'] ?? '',
      proto: `HTTP/${req.httpVersion}`,
      scheme,
      query: q < 0 ? '' : url.slice(q + 1),
    };
    for (const h of ex.log.requestHeaders) fields[`req_${h.toLowerCase().replace(/-/g, '_')}`] = req.headers[h.toLowerCase()] ?? '';
    for (const h of ex.log.responseHeaders) fields[`resp_${h.toLowerCase().replace(/-/g, '_')}`] = String(ex.log.sent?.[h.toLowerCase()] ?? '');
    this.logger.info('Request', fields);
  }
}

function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The socket is detached from the request once it closes, so the peer is taken on arrival. */
function peerOf(req: http.IncomingMessage): { address: string; port: number } {
  return { address: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''), port: req.socket.remotePort ?? 0 };
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (host) server.listen(port, host, done);
    else server.listen(port, done);
  });
}
