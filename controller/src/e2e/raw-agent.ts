import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { request } from 'undici';
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { AGENT_CONNECT_PATH, AGENT_ENROLL_PATH, PROTOCOL_VERSION, connectPinned } from '@drover/shared/protocol';
import { pinnedDispatcher } from './undici-pinned.js';

// A hand-driven agent for tests: it can do everything a real agent does, and
// everything a real agent never would (wrong keys, replays, garbage frames).

export interface RawIdentity {
  agentId: string;
  controllerId: string;
  privateKey: KeyObject;
}

export async function enrollRaw(baseUrl: string, fingerprint: string, token: string, name?: string): Promise<{ status: number; body: Record<string, unknown>; identity: RawIdentity | null }> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const dispatcher = pinnedDispatcher(fingerprint);
  try {
    const res = await request(new URL(AGENT_ENROLL_PATH, baseUrl), {
      method: 'POST', dispatcher, headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), hostname: 'raw', agentVersion: 'raw', ...(name ? { name } : {}) }),
    });
    const body = (await res.body.json()) as Record<string, unknown>;
    const identity = res.statusCode === 201 ? { agentId: String(body.agentId), controllerId: String(body.controllerId), privateKey } : null;
    return { status: res.statusCode, body, identity };
  } finally {
    await dispatcher.close();
  }
}

/** One raw websocket to the controller with a message queue. */
export class RawConn {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private queue: unknown[] = [];
  private waiter: ((m: unknown) => void) | null = null;

  constructor(baseUrl: string, fingerprint: string, headers: Record<string, string> = {}) {
    const url = new URL(AGENT_CONNECT_PATH, baseUrl.replace(/^http/, 'ws'));
    this.ws = new WebSocket(url, {
      headers, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024,
      createConnection: ((opts: { host?: string; port?: number }) => connectPinned({ host: String(opts.host), port: Number(opts.port) }, fingerprint, () => {})) as never,
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      let msg: unknown;
      try { msg = JSON.parse(data.toString()); } catch { msg = { unparsable: data.toString() }; }
      if (this.waiter) { const w = this.waiter; this.waiter = null; w(msg); } else this.queue.push(msg);
    });
  }

  send(obj: unknown): void {
    this.ws.send(typeof obj === 'string' || Buffer.isBuffer(obj) ? obj : JSON.stringify(obj));
  }

  /** Next message, or rejects after timeout. */
  next(timeoutMs = 5000): Promise<Record<string, unknown>> {
    const m = this.queue.shift();
    if (m !== undefined) return Promise.resolve(m as Record<string, unknown>);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.waiter = null; reject(new Error('no message within timeout')); }, timeoutMs);
      this.waiter = (msg) => { clearTimeout(t); resolve(msg as Record<string, unknown>); };
    });
  }

  /** Next message of type `t`, skipping others. */
  async nextOf(t: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.next(Math.max(1, until - Date.now()));
      if (m.t === t) return m;
    }
  }

  close(): void {
    this.ws.terminate();
  }
}

export interface AuthTamper {
  key?: KeyObject;
  nonce?: string;
  aud?: string;
  iat?: number;
  exp?: number;
  raw?: string;
}

/** hello → challenge → auth; returns the challenge seen. */
export async function handshake(conn: RawConn, id: RawIdentity, tamper: AuthTamper = {}): Promise<Record<string, unknown>> {
  await conn.opened;
  conn.send({ t: 'hello', v: PROTOCOL_VERSION, agentId: id.agentId, agentVersion: 'raw' });
  const challenge = await conn.next();
  if (challenge.t !== 'challenge') return challenge;
  const now = Number(challenge.now);
  const token = tamper.raw ?? await new SignJWT({ nonce: tamper.nonce ?? String(challenge.nonce) })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(id.agentId).setSubject(id.agentId)
    .setAudience(tamper.aud ?? String(challenge.controllerId))
    .setIssuedAt(tamper.iat ?? now).setExpirationTime(tamper.exp ?? now + 60)
    .sign(tamper.key ?? id.privateKey);
  conn.send({ t: 'auth', token });
  return challenge;
}
