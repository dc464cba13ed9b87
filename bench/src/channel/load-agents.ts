// Child process of the channel benchmark: N lightweight agents that do the real
// enrollment (HTTP, pinned TLS) and the real hello/challenge/auth handshake,
// then answer `agent.ping`. Reports progress to the parent over IPC.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { request, Agent } from 'undici';
import WebSocket from 'ws';
import { AGENT_CONNECT_PATH, AGENT_ENROLL_PATH, PROTOCOL_VERSION, connectPinned } from '@drover/shared/protocol';
import { answer } from '../fleet/sim-ops.js';

// mode 'bare': connect `count` websockets to the baseline server (bare-server.ts) and count the first frame; no enrollment, no auth.
// mode 'fleet': agents that answer a rollout's operations (../fleet/sim-ops.ts) instead of `agent.ping` only.
interface Cfg { url: string; fingerprint: string; token: string; count: number; concurrency: number; mode?: 'agents' | 'bare' | 'fleet'; dropRate?: number }
const cfg = JSON.parse(process.argv[2]!) as Cfg;
const send = (m: object) => process.send?.(m);

interface Lite { id: string; controllerId: string; key: KeyObject; ws: WebSocket | null; online: boolean; attempt: number; journal: Map<string, unknown> }
const agents: Lite[] = [];
let online = 0;
let handshakes = 0;

const dispatcher = new Agent({
  connections: cfg.concurrency,
  connect: (opts, cb) => { connectPinned({ host: opts.hostname, port: Number(opts.port), alpn: ['http/1.1'] }, cfg.fingerprint, (err, s) => (err ? cb(err, null) : cb(null, s))); },
});

async function enrollOne(i: number): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const res = await request(new URL(AGENT_ENROLL_PATH, cfg.url), {
    method: 'POST', dispatcher, headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: cfg.token, name: `bench-${i}`, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), hostname: 'bench', agentVersion: 'bench' }),
  });
  const body = (await res.body.json()) as { agentId: string; controllerId: string };
  if (res.statusCode !== 201) throw new Error(`enroll ${i}: ${res.statusCode} ${JSON.stringify(body)}`);
  agents[i] = { id: body.agentId, controllerId: body.controllerId, key: privateKey, ws: null, online: false, attempt: 0, journal: new Map() };
}

const b64url = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
const AUTH_HEADER = b64url({ alg: 'EdDSA', typ: 'drover-agent-auth+jwt' });

/** The same EdDSA JWT the real agent signs with jose, signed with node:crypto (no key conversion per call). */
function authToken(a: Lite, challenge: Record<string, unknown>): string {
  const now = Number(challenge.now);
  const input = `${AUTH_HEADER}.${b64url({ nonce: challenge.nonce, iss: a.id, sub: a.id, aud: String(challenge.controllerId), iat: now, exp: now + 60 })}`;
  return `${input}.${sign(null, Buffer.from(input), a.key).toString('base64url')}`;
}

const INITIAL_IN_FLIGHT = 1000;
let inFlight = 0;
let opened = 0;
let pump = (): void => {};

function connect(a: Lite, initial = false): void {
  let settled = !initial;
  const settle = () => { if (!settled) { settled = true; inFlight--; pump(); } };
  const url = new URL(AGENT_CONNECT_PATH, cfg.url.replace(/^http/, 'ws'));
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    createConnection: ((o: { host?: string; port?: number }) => connectPinned({ host: String(o.host), port: Number(o.port) }, cfg.fingerprint, () => {})) as never,
  });
  a.ws = ws;
  let state = 0;
  ws.on('open', () => cfg.mode !== 'bare' && ws.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, agentId: a.id, agentVersion: 'bench' })));
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as Record<string, unknown>;
    if (state === 0 && m.t === 'challenge') {
      state = 1;
      ws.send(JSON.stringify({ t: 'auth', token: authToken(a, m) }));
    } else if ((state === 1 || cfg.mode === 'bare') && m.t === 'welcome') {
      state = 2;
      a.online = true;
      a.attempt = 0;
      settle();
      online++;
      handshakes++;
    } else if (m.t === 'req' && cfg.mode === 'fleet' && m.method !== 'agent.ping') {
      answer(a, m as never, { dropRate: cfg.dropRate ?? 0 }, (frame) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(frame)), () => ws.terminate());
    } else if (m.t === 'req') {
      ws.send(JSON.stringify({ t: 'res', id: m.id, ok: true, result: { pong: true } }));
    }
  });
  ws.on('error', () => {});
  ws.on('close', () => {
    settle();
    if (a.online) online--;
    a.online = false;
    a.attempt++;
    // Full jitter, short cap: the benchmark wants a storm.
    setTimeout(() => connect(a), Math.floor(Math.random() * Math.min(2000, 100 * 2 ** Math.min(a.attempt, 10))));
  });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  let next = 0;
  if (cfg.mode === 'bare') for (let i = 0; i < cfg.count; i++) agents[i] = { id: `bare-${i}`, controllerId: '', key: null as never, ws: null, online: false, attempt: 0, journal: new Map() };
  else
  await Promise.all(Array.from({ length: cfg.concurrency }, async () => {
    while (next < cfg.count) await enrollOne(next++);
  }));
  send({ type: 'enrolled', ms: performance.now() - t0 });
  await dispatcher.close();
  const t1 = performance.now();
  // First connections: at most INITIAL_IN_FLIGHT handshakes at once, the next one
  // starting as soon as one settles. Unbounded, 10k simultaneous TLS handshakes
  // overflow the accept queue and every step waits behind thousands of others.
  pump = () => {
    while (inFlight < INITIAL_IN_FLIGHT && opened < cfg.count) {
      inFlight++;
      connect(agents[opened++]!, true);
    }
  };
  pump();
  const reporter = setInterval(() => send({ type: 'progress', online, handshakes, ms: performance.now() - t1 }), 100);
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stop') { clearInterval(reporter); for (const a of agents) a.ws?.terminate(); process.exit(0); }
  });
}

main().catch((err: Error) => { send({ type: 'error', message: err.message }); process.exit(1); });
