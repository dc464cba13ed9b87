import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { DROVER_VERSION } from '@drover/shared';
import {
  AGENT_CONNECT_PATH, Challenge, CloseCode, MAX_AUTH_TOKEN_LIFETIME_S, MAX_FRAME_BYTES, PROTOCOL_VERSION, RpcSession,
  SESSION_TYPES, SessionMessage, Welcome, connectPinned, decodeFrame, describeCloseCode, type InventoryInput,
} from '@drover/shared/protocol';
import type { AgentIdentity } from '../state/agent-state.js';
import type { HandlerRegistry } from '../rpc/registry.js';
import type { AgentLogger } from '../log.js';

export interface ConnectionOutcome {
  /** Close code the connection ended with (1006 when it never opened). */
  code: number;
  reason: string;
  /** True if the controller welcomed us (the backoff resets). */
  welcomed: boolean;
}

export interface ConnectDeps {
  identity: AgentIdentity;
  privateKey: KeyObject;
  handlers: HandlerRegistry;
  log: AgentLogger;
  inventory(): Promise<InventoryInput>;
  /** Called once authenticated, with a way to reach the controller (tests, events). */
  onReady?(session: RpcSession): void;
}

/** Signs the answer to a challenge: EdDSA JWT bound to this nonce and controller, dated by the controller's clock. */
export async function signChallenge(privateKey: KeyObject, agentId: string, c: Challenge): Promise<string> {
  return new SignJWT({ nonce: c.nonce })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'drover-agent-auth+jwt' })
    .setIssuer(agentId)
    .setSubject(agentId)
    .setAudience(c.controllerId)
    .setIssuedAt(c.now)
    .setExpirationTime(c.now + MAX_AUTH_TOKEN_LIFETIME_S)
    .sign(privateKey);
}

/**
 * One connection attempt: TLS with the pinned key, hello → challenge → auth →
 * welcome, then RPC until the socket closes. Resolves when it is over.
 */
export function connectOnce(deps: ConnectDeps, stopSignal: AbortSignal): Promise<ConnectionOutcome> {
  const { identity, log } = deps;
  const url = new URL(AGENT_CONNECT_PATH, identity.controllerUrl.replace(/^http/, 'ws'));
  return new Promise((resolve) => {
    let state: 'challenge' | 'welcome' | 'ready' = 'challenge';
    let welcomed = false;
    let session: RpcSession | null = null;
    let lastHeard = Date.now();
    let watchdog: NodeJS.Timeout | null = null;
    const ws = new WebSocket(url, {
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: 15_000,
      ...(url.protocol === 'wss:' ? {
        createConnection: (opts: { host?: string; port?: number | string; servername?: string }) =>
          connectPinned({ host: String(opts.host), port: Number(opts.port) || 443, servername: opts.servername || undefined, alpn: ['http/1.1'] }, identity.fingerprint, (err) => {
            if (err) log.error('refusing controller', { url: identity.controllerUrl, reason: err.message });
          }),
      } : {}),
    } as WebSocket.ClientOptions);

    const closeWith = (code: number, reason: string) => {
      log.warn('closing connection', { code: describeCloseCode(code), reason });
      try {
        ws.close(code, reason.slice(0, 120));
      } catch {
        ws.terminate();
      }
      setTimeout(() => ws.terminate(), 2000).unref();
    };
    const stop = () => closeWith(CloseCode.GoingAway, 'agent shutting down');
    stopSignal.addEventListener('abort', stop, { once: true });

    ws.on('open', () => {
      ws.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, agentId: identity.agentId, agentVersion: DROVER_VERSION }));
    });
    ws.on('ping', () => { lastHeard = Date.now(); });
    ws.on('message', (data, isBinary) => {
      lastHeard = Date.now();
      const raw = isBinary ? null : (data as Buffer);
      if (state === 'ready') {
        const d = decodeFrame(raw, SessionMessage, SESSION_TYPES);
        if (!d.ok) return session!.protocolError(d.code, d.message);
        return session!.handle(d.msg);
      }
      if (state === 'challenge') {
        const d = decodeFrame(raw, Challenge);
        if (!d.ok) return closeWith(CloseCode.ProtocolError, `bad challenge: ${d.message}`);
        if (d.msg.controllerId !== identity.controllerId) {
          return closeWith(CloseCode.WrongAudience, `controller id ${d.msg.controllerId} is not the one this agent enrolled with (${identity.controllerId})`);
        }
        state = 'welcome';
        signChallenge(deps.privateKey, identity.agentId, d.msg).then(
          (token) => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ t: 'auth', token })),
          (err: Error) => closeWith(CloseCode.ProtocolError, `cannot sign challenge: ${err.message}`),
        );
        return;
      }
      const d = decodeFrame(raw, Welcome);
      if (!d.ok) return closeWith(CloseCode.ProtocolError, `bad welcome: ${d.message}`);
      state = 'ready';
      welcomed = true;
      session = new RpcSession({
        idPrefix: 'a',
        send: (frame) => ws.send(frame),
        handler: (method) => deps.handlers.lookup(method),
        onPeerError: (code, message) => log.warn('controller reported a protocol error', { code, message }),
      });
      log.info('connected', { controller: identity.controllerUrl, name: d.msg.name });
      // Half-open controller: no ping or frame for 2.5 heartbeats means the path is dead.
      const limit = Math.floor(d.msg.heartbeatMs * 2.5);
      watchdog = setInterval(() => {
        if (Date.now() - lastHeard > limit) {
          log.warn('controller silent; reconnecting', { silentMs: Date.now() - lastHeard });
          ws.terminate();
        }
      }, Math.max(100, Math.floor(d.msg.heartbeatMs / 2)));
      watchdog.unref();
      deps.inventory().then(
        (inv) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(inv)),
        (err: Error) => log.warn('could not collect inventory', { reason: err.message }),
      );
      deps.onReady?.(session);
    });
    ws.on('error', (err) => {
      if (!(err as { code?: string }).code?.startsWith('PIN')) log.warn('connection error', { reason: err.message });
    });
    ws.on('close', (code, reasonBuf) => {
      if (watchdog) clearInterval(watchdog);
      stopSignal.removeEventListener('abort', stop);
      const reason = reasonBuf.toString('utf8');
      session?.close(`connection closed (${describeCloseCode(code)})`);
      if (welcomed || code !== 1006) log.info('disconnected', { code: describeCloseCode(code), reason });
      resolve({ code, reason, welcomed });
    });
  });
}
