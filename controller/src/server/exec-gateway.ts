import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { FastifyBaseLogger } from 'fastify';
import { AUTH_TIMEOUT_MS, MAX_FRAME_BYTES, type Stream } from '@drover/shared/protocol';
import { authenticateOperator, scopeAllows } from '../auth/operator-token.js';
import type { AgentRecord, OperatorScope, OperatorTokenRecord, Store } from '../store/store.js';
import type { AgentHub } from './agent-hub.js';
import { UNBOUNDED_CALL_MS, agentNamed } from './agent-lookup.js';
import { rpcErrorAnswer } from './http-errors.js';
import { ATTACH_PATH_PATTERN, AttachControl, AttachStart, KEEPALIVE_HEADER, type ApiErrorBody, type AttachEnd } from './operator-api.js';
import { forbiddenMessage, operationScope } from './route-schemas.js';

export interface ExecGatewayOptions {
  store: Store;
  hub: AgentHub;
  log: FastifyBaseLogger;
  /** Ping period (default the agents' heartbeat); a client that misses a ping is dropped at the next tick. */
  keepaliveMs?: number;
  /** Attached sessions open at once from one address, and in all. */
  maxPerAddress?: number;
  maxSessions?: number;
}

/** Output buffered towards the client beyond which the gateway stops reading the agent's stream. */
const OUTPUT_HIGH_WATER = 256 * 1024;
/** Input queued towards the agent beyond which the gateway stops reading the client's socket. */
const INPUT_HIGH_WATER = 256 * 1024;

/** What the attach websocket accepts: the route exists for exec, so its floor is deploy. */
const ATTACH_SCOPE: OperatorScope = 'deploy';
const maxScope = (a: OperatorScope, b: OperatorScope): OperatorScope => (scopeAllows(a, b) ? a : b);

interface Session {
  ws: WebSocket;
  address: string;
  alive: boolean;
  abort: AbortController;
}

/**
 * `GET /v1/agents/:name/attach` (websocket): an operator's terminal attached to an agent's exec stream
 * (`app.exec` / `accessory.exec` with `interactive`/`tty`). Authenticated at the upgrade (bearer token,
 * scope deploy, more if the method needs it); then client binary frames are the command's input, its
 * output comes back as binary frames, `{resize}` / `{eof}` text frames are relayed, and the session
 * ends with `{exit, result}` or `{error}` and a normal close. Flow control end to end: the gateway
 * reads neither side faster than the other accepts.
 */
export class ExecGateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
  private readonly sessions = new Set<Session>();
  private readonly perAddress = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly keepaliveMs: number;

  constructor(private readonly opts: ExecGatewayOptions) {
    this.keepaliveMs = opts.keepaliveMs ?? opts.hub.heartbeatMs;
    this.wss.on('headers', (headers) => headers.push(`${KEEPALIVE_HEADER}: ${this.keepaliveMs}`));
    this.timer = setInterval(() => this.tick(), this.keepaliveMs);
    this.timer.unref();
  }

  /** True for the paths this gateway serves. */
  handles(path: string): boolean {
    return ATTACH_PATH_PATTERN.test(path);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const path = (req.url ?? '').split('?')[0]!;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const token = m?.[1] ? authenticateOperator(this.opts.store, m[1]) : null;
    if (!token) return refuse(socket, 401, 'unauthorized', 'a valid operator token is required (Authorization: Bearer …)');
    if (!scopeAllows(token.scope, ATTACH_SCOPE)) return refuse(socket, 403, 'forbidden', forbiddenMessage(token.scope, ATTACH_SCOPE));
    let name: string;
    try {
      name = decodeURIComponent(ATTACH_PATH_PATTERN.exec(path)![1]!);
    } catch {
      return refuse(socket, 400, 'bad_request', 'bad agent name in path');
    }
    const agent = agentNamed(this.opts.store, name);
    if (!agent) return refuse(socket, 404, 'not_found', `no enrolled agent named ${name}`);
    if (!this.opts.hub.isOnline(agent.id)) return refuse(socket, 503, 'disconnected', `agent ${agent.name} is not connected`);
    const address = req.socket.remoteAddress ?? 'unknown';
    const maxPerAddress = this.opts.maxPerAddress ?? 16;
    if ((this.perAddress.get(address) ?? 0) >= maxPerAddress) return refuse(socket, 429, 'too_many', `at most ${maxPerAddress} attached sessions per address`);
    if (this.sessions.size >= (this.opts.maxSessions ?? 512)) return refuse(socket, 503, 'too_many', 'too many attached sessions; try again later');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, address, token, agent));
  }

  close(): void {
    clearInterval(this.timer);
    for (const s of this.sessions) {
      s.abort.abort();
      s.ws.close(1001, 'controller shutting down');
    }
    this.wss.close();
  }

  private accept(ws: WebSocket, address: string, token: OperatorTokenRecord, agent: AgentRecord): void {
    const session: Session = { ws, address, alive: true, abort: new AbortController() };
    this.sessions.add(session);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    const log = this.opts.log.child({ agent: agent.name, operator: token.name, address });
    let finished = false;
    const finish = (end: AttachEnd, code = 1000) => {
      if (finished) return;
      finished = true;
      if (ws.readyState === ws.OPEN) {
        ws.send(JSON.stringify(end));
        ws.close(code);
        setTimeout(() => ws.terminate(), 2000).unref();
      }
    };
    const fail = (error: ApiErrorBody, code = 1000) => finish({ error }, code);
    const startTimer = setTimeout(() => fail({ code: 'timeout', message: `no start frame within ${AUTH_TIMEOUT_MS} ms` }, 1008), AUTH_TIMEOUT_MS);
    let onFrame: ((data: RawData, isBinary: boolean) => void) | null = (data, isBinary) => {
      clearTimeout(startTimer);
      onFrame = null;
      const start = isBinary ? null : AttachStart.safeParse(parseJson(data));
      if (!start?.success) return fail({ code: 'bad_request', message: 'the first frame must be {"method", "params"?, "size"?, "timeoutMs"?}' }, 1008);
      const need = maxScope(ATTACH_SCOPE, operationScope(start.data.method));
      if (!scopeAllows(token.scope, need)) return fail({ code: 'forbidden', message: forbiddenMessage(token.scope, need) });
      let call: { stream: Stream; result: Promise<unknown> };
      try {
        call = this.opts.hub.open(agent.id, start.data.method, start.data.params, { timeoutMs: start.data.timeoutMs ?? UNBOUNDED_CALL_MS, signal: session.abort.signal });
      } catch (err) {
        return fail(rpcErrorAnswer(err, start.data.params).error);
      }
      call.result.catch(() => undefined);
      log.info({ method: start.data.method }, 'operator attached');
      if (start.data.size) call.stream.resize(start.data.size.cols, start.data.size.rows);
      onFrame = relayInput(ws, call.stream, (message) => fail({ code: 'bad_request', message }, 1008));
      void relayOutput(ws, call.stream).then(async () => {
        try {
          const result = await call.result;
          const exitCode = (result as { exitCode?: unknown } | null)?.exitCode;
          finish({ exit: typeof exitCode === 'number' && Number.isInteger(exitCode) ? exitCode : 0, result: result ?? null });
        } catch (err) {
          fail(rpcErrorAnswer(err, start.data.params).error);
        }
        log.info({ method: start.data.method }, 'operator detached');
      });
    };
    ws.on('message', (data, isBinary) => {
      session.alive = true;
      onFrame?.(data, isBinary);
    });
    ws.on('pong', () => { session.alive = true; });
    ws.on('error', (err) => log.debug({ err: err.message }, 'attach socket error'));
    ws.on('close', () => {
      clearTimeout(startTimer);
      session.abort.abort(); // a call still running is cancelled: the agent kills the exec
      this.sessions.delete(session);
      const n = (this.perAddress.get(address) ?? 1) - 1;
      if (n > 0) this.perAddress.set(address, n);
      else this.perAddress.delete(address);
    });
  }

  /** Dead-peer detection: a client that did not answer the last ping is dropped. */
  private tick(): void {
    for (const s of this.sessions) {
      if (!s.alive) {
        this.opts.log.warn({ address: s.address }, 'attached operator stopped answering pings; closing');
        s.ws.terminate();
        continue;
      }
      s.alive = false;
      s.ws.ping();
    }
  }
}

/** Client frames after the start: input bytes in order, resizes, eof; the socket is paused while input waits for credit. */
function relayInput(ws: WebSocket, stream: Stream, bad: (message: string) => void): (data: RawData, isBinary: boolean) => void {
  let chain = Promise.resolve();
  let queued = 0;
  const enqueue = (bytes: number, work: () => Promise<void> | void) => {
    queued += bytes;
    if (queued > INPUT_HIGH_WATER && !ws.isPaused) ws.pause();
    chain = chain.then(work).catch(() => undefined).then(() => {
      queued -= bytes;
      if (queued <= INPUT_HIGH_WATER / 2 && ws.isPaused) ws.resume();
    });
  };
  return (data, isBinary) => {
    const buf = toBuffer(data);
    if (isBinary) return enqueue(buf.length, () => (buf.length ? stream.write(buf) : undefined));
    const c = AttachControl.safeParse(parseJson(buf));
    if (!c.success) return bad('text frames must be {"resize": {"cols", "rows"}} or {"eof": true}');
    if ('resize' in c.data) {
      const { cols, rows } = c.data.resize;
      return enqueue(0, () => stream.resize(cols, rows));
    }
    enqueue(0, () => stream.end());
  };
}

/** The stream's output to the client, one chunk at a time, waiting while the client's buffer is full. */
async function relayOutput(ws: WebSocket, stream: Stream): Promise<void> {
  try {
    for await (const chunk of stream) {
      if (ws.readyState !== ws.OPEN) return;
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      await new Promise<void>((resolve) => {
        ws.send(buf, { binary: true }, () => resolve());
        if (ws.bufferedAmount < OUTPUT_HIGH_WATER) resolve();
      });
    }
  } catch {
    // The call failed or was cancelled: the result says how.
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function parseJson(data: RawData): unknown {
  try {
    return JSON.parse(toBuffer(data).toString('utf8'));
  } catch {
    return null;
  }
}

/** Answers an upgrade request with an ordinary HTTP error (`{error: {code, message}}`) and closes it. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
