import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { FastifyBaseLogger } from 'fastify';
import {
  AUTH_TIMEOUT_MS, Auth, CloseCode, DEFAULT_HEARTBEAT_MS, Hello, MAX_FRAME_BYTES, PROTOCOL_VERSION, RpcError, RpcErrorCode,
  RpcSession, SESSION_TYPES, SessionMessage, decodeFrame, describeCloseCode,
  type CallOptions, type Event, type Handler, type Inventory, type Stream,
} from '@drover/shared/protocol';
import type { AgentRecord, Store } from '../store/store.js';
import { forgetAgentKey, verifyAgentAuth } from '../auth/agent-auth.js';
import { AgentConnection } from './agent-connection.js';
import { isAgentId } from './agent-lookup.js';
import type { Metrics } from './metrics.js';
import { PresenceWriter } from './presence-writer.js';

export interface AgentHubOptions {
  store: Store;
  controllerId: string;
  log: FastifyBaseLogger;
  metrics: Metrics;
  heartbeatMs?: number;
  /** Handlers for calls agents make to the controller. */
  handlers?: Record<string, Handler>;
  /** A handshake failed on the agent's credentials: counted and logged per address (connection-limits.ts); without it, logged here. */
  onAuthFailure?: (address: string, reason: string) => void;
  /** An agent authenticated on this socket. */
  onAuthenticated?: (socket: Socket) => void;
}

/** Close codes that mean the peer failed to prove it is an enrolled agent. */
const AUTH_FAILURES: ReadonlySet<number> = new Set([
  CloseCode.ProtocolError, CloseCode.AuthTimeout, CloseCode.UnknownAgent, CloseCode.RevokedAgent, CloseCode.BadSignature,
  CloseCode.WrongNonce, CloseCode.Expired, CloseCode.WrongAudience, CloseCode.MalformedAuth,
]);

export interface AgentHubEvents {
  online: [agentId: string];
  offline: [agentId: string];
  inventory: [agentId: string, inventory: Inventory];
  event: [agentId: string, event: Event];
}

/**
 * Accepts agent websockets, authenticates them, and lets the rest of the
 * controller call RPCs and open streams on connected agents.
 */
export class AgentHub extends EventEmitter<AgentHubEvents> {
  readonly heartbeatMs: number;
  private readonly wss: WebSocketServer;
  private readonly live = new Map<string, AgentConnection>();
  private readonly liveNames = new Map<string, string>();
  private readonly pending = new Set<AgentConnection>();
  private readonly presence: PresenceWriter;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly inventories = new Map<string, Inventory>();
  private readonly sockets = new WeakMap<AgentConnection, Socket>();

  constructor(private readonly opts: AgentHubOptions) {
    super();
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
    this.presence = new PresenceWriter(opts.store, 1000, (err) => opts.log.error({ err }, 'could not record agent presence'));
    // One timer for every connection: mark, ping, and drop whoever missed the last ping.
    this.heartbeat = setInterval(() => this.tick(), this.heartbeatMs);
    this.heartbeat.unref();
  }

  // ---- API for the rest of the controller ----

  /** Calls `method` on a connected agent (by id or name). */
  async call(agent: string, method: string, params?: unknown, options?: CallOptions): Promise<unknown> {
    const conn = this.connectionFor(agent);
    try {
      const result = await conn.session!.call(method, params, options);
      this.opts.metrics.rpcSucceeded();
      return result;
    } catch (err) {
      this.opts.metrics.rpcFailed(err);
      throw err;
    }
  }

  /** Opens a streaming call (logs, exec, pull progress) on a connected agent. */
  open(agent: string, method: string, params?: unknown, options?: CallOptions): { stream: Stream; result: Promise<unknown> } {
    const conn = this.connectionFor(agent);
    const r = conn.session!.open(method, params, options);
    r.result.then(() => this.opts.metrics.rpcSucceeded(), (err: unknown) => this.opts.metrics.rpcFailed(err));
    return r;
  }

  isOnline(agentId: string): boolean {
    return this.live.has(agentId);
  }

  isOnlineByName(name: string): boolean {
    return this.liveByName(name) !== undefined;
  }

  onlineAgentIds(): string[] {
    return [...this.live.keys()];
  }

  /** Last inventory an online agent reported. */
  inventoryOf(agentId: string): Inventory | null {
    return this.inventories.get(agentId) ?? null;
  }

  /** Where a connected agent's socket comes from. */
  addressOf(agentId: string): string | null {
    return this.live.get(agentId)?.address ?? null;
  }

  /** Drops an agent's live connection at once (revocation). */
  disconnect(agentId: string, code: number, reason: string): boolean {
    for (const pending of [...this.pending]) if (pending.agentId === agentId) this.reject(pending, code, reason);
    const conn = this.live.get(agentId);
    if (!conn) return false;
    this.reject(conn, code, reason);
    return true;
  }

  /** Drops cached key material of a revoked agent. */
  forget(agentId: string): void {
    forgetAgentKey(agentId);
  }

  /** Closes every connection (agents reconnect to the next controller) and stops timers. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const conn of [...this.live.values(), ...this.pending]) this.closeConn(conn, CloseCode.GoingAway, 'controller shutting down');
    this.presence.close();
    this.wss.close();
  }

  // ---- websocket plumbing ----

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req.socket));
  }

  private accept(ws: WebSocket, socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const conn = new AgentConnection(ws, address);
    this.sockets.set(conn, socket);
    const m = this.opts.metrics;
    m.connectionsOpen++;
    m.connectionsTotal++;
    this.pending.add(conn);
    conn.authTimer = setTimeout(() => this.reject(conn, CloseCode.AuthTimeout, `no authentication within ${AUTH_TIMEOUT_MS} ms`), AUTH_TIMEOUT_MS);
    ws.on('message', (data, isBinary) => this.contained(conn, () => this.onMessage(conn, data, isBinary)));
    ws.on('pong', () => { conn.alive = true; });
    ws.on('error', (err) => this.opts.log.debug({ err: err.message, address }, 'agent socket error'));
    ws.on('close', (code) => this.contained(conn, () => this.onClose(conn, code)));
  }

  /**
   * Runs one socket event handler so that what it throws (a store read of a damaged row, a
   * listener's bug) ends at most this connection, never the controller: logged, then answered
   * with an error frame on an established session, or close 1011 during the handshake.
   */
  private contained(conn: AgentConnection, handle: () => void): void {
    try {
      handle();
    } catch (err) {
      this.opts.log.error({ err, agent: conn.name || conn.agentId || undefined, address: conn.address }, 'agent connection event failed');
      try {
        if (conn.state === 'ready' && conn.session) conn.session.protocolError(RpcErrorCode.Internal, 'the controller failed to handle this frame; see its log');
        else if (conn.state !== 'closed') this.closeConn(conn, CloseCode.InternalError, 'controller error; try again later');
      } catch (answerErr) {
        this.opts.log.error({ err: answerErr, address: conn.address }, 'could not answer a failed agent connection event');
        conn.ws.terminate();
      }
    }
  }

  private onMessage(conn: AgentConnection, data: RawData, isBinary: boolean): void {
    conn.alive = true;
    const raw = isBinary ? null : (data as Buffer);
    if (conn.state === 'ready') return this.onSessionFrame(conn, raw);
    if (conn.state === 'hello') return this.onHello(conn, raw);
    if (conn.state === 'auth') this.onAuth(conn, raw);
  }

  private onHello(conn: AgentConnection, raw: Buffer | null): void {
    const d = decodeFrame(raw, Hello);
    if (!d.ok) return this.reject(conn, CloseCode.ProtocolError, `bad hello: ${d.message}`);
    if (d.msg.v !== PROTOCOL_VERSION) return this.reject(conn, CloseCode.UnsupportedVersion, `agent speaks protocol v${d.msg.v}, controller v${PROTOCOL_VERSION}`);
    const agent = this.opts.store.getAgent(d.msg.agentId);
    conn.agentId = d.msg.agentId;
    if (!agent) return this.reject(conn, CloseCode.UnknownAgent, 'no agent with this id is enrolled');
    conn.name = agent.name;
    if (agent.revokedAt !== null) return this.reject(conn, CloseCode.RevokedAgent, 'agent was revoked');
    conn.record = agent;
    conn.nonce = randomBytes(24).toString('base64url');
    conn.state = 'auth';
    conn.ws.send(JSON.stringify({ t: 'challenge', v: PROTOCOL_VERSION, nonce: conn.nonce, controllerId: this.opts.controllerId, now: Math.floor(Date.now() / 1000) }));
  }

  private onAuth(conn: AgentConnection, raw: Buffer | null): void {
    const d = decodeFrame(raw, Auth);
    if (!d.ok) return this.reject(conn, CloseCode.ProtocolError, `bad auth message: ${d.message}`);
    conn.state = 'closed'; // ignore further frames
    // The record read at hello is still current: revoking an agent also drops its pending handshakes (disconnect()).
    const agent = conn.record!;
    const check = verifyAgentAuth(d.msg.token, agent, { controllerId: this.opts.controllerId, nonce: conn.nonce!, nowSeconds: Math.floor(Date.now() / 1000) });
    conn.nonce = null;
    if (!check.ok) return this.reject(conn, check.code, check.reason);
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    this.admit(conn, agent);
  }

  private admit(conn: AgentConnection, agent: AgentRecord): void {
    const m = this.opts.metrics;
    if (conn.authTimer) clearTimeout(conn.authTimer);
    conn.authTimer = null;
    this.pending.delete(conn);
    const socket = this.sockets.get(conn);
    if (socket) this.opts.onAuthenticated?.(socket);
    // Newer connection wins: the older one may be half-open after a network change.
    const older = this.live.get(agent.id);
    if (older) this.reject(older, CloseCode.Replaced, 'a newer connection for this agent authenticated');
    conn.state = 'ready';
    conn.session = new RpcSession({
      idPrefix: 'c',
      send: (frame) => conn.ws.send(frame),
      handler: (method) => this.opts.handlers?.[method],
      onInventory: (inv) => this.onInventory(conn, inv),
      onEvent: (ev) => this.emit('event', agent.id, ev),
      onPeerError: (code, message) => this.opts.log.warn({ agent: conn.name, code, message }, 'agent reported a protocol error'),
    });
    this.live.set(agent.id, conn);
    this.liveNames.set(agent.name, agent.id);
    m.handshakesOk++;
    m.agentsOnline = this.live.size;
    conn.ws.send(JSON.stringify({ t: 'welcome', agentId: agent.id, name: agent.name, labels: agent.labels, heartbeatMs: this.heartbeatMs }));
    this.presence.record({ id: agent.id, lastSeen: Date.now(), lastAddress: conn.address });
    this.opts.log.info({ agent: agent.name, address: conn.address }, 'agent connected');
    this.emit('online', agent.id);
  }

  private onSessionFrame(conn: AgentConnection, raw: Buffer | null): void {
    const d = decodeFrame(raw, SessionMessage, SESSION_TYPES);
    if (!d.ok) {
      this.opts.metrics.protocolErrors++;
      conn.session!.protocolError(d.code, d.message);
      return;
    }
    conn.session!.handle(d.msg);
  }

  private onInventory(conn: AgentConnection, inv: Inventory): void {
    this.inventories.set(conn.agentId!, inv);
    this.presence.record({ id: conn.agentId!, lastSeen: Date.now(), hostname: inv.hostname, agentVersion: inv.agentVersion, dockerVersion: inv.docker?.version ?? null });
    this.emit('inventory', conn.agentId!, inv);
  }

  private onClose(conn: AgentConnection, code: number): void {
    const m = this.opts.metrics;
    m.connectionsOpen--;
    if (conn.authTimer) clearTimeout(conn.authTimer);
    this.pending.delete(conn);
    conn.state = 'closed';
    conn.session?.close(`connection closed (${describeCloseCode(code)})`);
    if (conn.agentId && this.live.get(conn.agentId) === conn) {
      this.live.delete(conn.agentId);
      if (this.liveNames.get(conn.name) === conn.agentId) this.liveNames.delete(conn.name);
      this.inventories.delete(conn.agentId);
      m.agentsOnline = this.live.size;
      this.presence.record({ id: conn.agentId, lastSeen: Date.now() });
      this.opts.log.info({ agent: conn.name, code: describeCloseCode(code) }, 'agent disconnected');
      this.emit('offline', conn.agentId);
    }
  }

  private reject(conn: AgentConnection, code: number, reason: string): void {
    const m = this.opts.metrics;
    if (code !== CloseCode.GoingAway) m.inc(m.handshakeFailures, describeCloseCode(code).split(' ')[0]!);
    const authFailed = conn.state !== 'ready' && AUTH_FAILURES.has(code) && this.opts.onAuthFailure;
    if (authFailed) {
      authFailed(conn.address, `${reason} (${describeCloseCode(code)}${conn.name ? `, agent ${conn.name}` : ''})`);
      return this.closeConn(conn, code, reason);
    }
    const level = code === CloseCode.Replaced ? 'info' : 'warn';
    this.opts.log[level]({ agent: conn.name || conn.agentId || undefined, address: conn.address, close: describeCloseCode(code) }, `agent connection closed: ${reason}`);
    this.closeConn(conn, code, reason);
  }

  private closeConn(conn: AgentConnection, code: number, reason: string): void {
    conn.state = 'closed';
    conn.session?.close(reason);
    try {
      conn.ws.close(code, reason.slice(0, 120));
    } catch {
      conn.ws.terminate();
    }
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => conn.ws.terminate(), 2000).unref();
  }

  private tick(): void {
    for (const conn of this.live.values()) {
      if (!conn.alive) {
        this.opts.metrics.heartbeatTimeouts++;
        this.opts.log.warn({ agent: conn.name, address: conn.address }, 'agent heartbeat lost; closing connection');
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  private connectionFor(agent: string): AgentConnection {
    const conn = isAgentId(agent) ? this.live.get(agent) : this.liveByName(agent);
    if (!conn || !conn.session) throw new RpcError(RpcErrorCode.Disconnected, `agent ${agent} is not connected`);
    return conn;
  }

  private liveByName(name: string): AgentConnection | undefined {
    const id = this.liveNames.get(name);
    return id === undefined ? undefined : this.live.get(id);
  }
}
