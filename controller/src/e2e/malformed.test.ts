import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode } from '@drover/shared/protocol';
import { adminClient, enrollAgent, removeDir, startAgent, startController, tempDir, type ControllerProc, type Proc } from './harness.js';
import { RawConn, enrollRaw, handshake } from './raw-agent.js';
import { malformedFrames } from './malformed-frames.js';
import type { OperatorClient } from '../client/operator-client.js';

describe('malformed frames never crash either end', () => {
  let dir: string;
  let ctl: ControllerProc;
  let client: OperatorClient;
  let agent: Proc;
  const frames = malformedFrames();

  before(async () => {
    dir = tempDir('e2e-malformed');
    ctl = await startController(join(dir, 'ctl'));
    ({ client } = await adminClient(ctl));
    assert.equal((await enrollAgent(join(dir, 'good'), (await client.mintJoinToken({ name: 'good' })).token)).code, 0);
    agent = startAgent(join(dir, 'good'));
    await agent.waitFor(/info connected/);
  });
  after(async () => {
    await agent.stop();
    await client.close();
    await ctl.proc.stop();
    removeDir(dir);
  });

  test(`controller: ${frames.length} malformed frames after auth get error replies; it keeps serving others`, async () => {
    assert.ok(frames.length >= 200);
    const e = await enrollRaw(ctl.url, ctl.fingerprint, (await client.mintJoinToken({ name: 'noisy' })).token);
    const c = new RawConn(ctl.url, ctl.fingerprint);
    await handshake(c, e.identity!);
    assert.equal((await c.next()).t, 'welcome');
    for (const f of frames) c.send(f.frame);
    const expected = frames.filter((f) => f.reply === 'error').length;
    for (let i = 0; i < expected; i++) {
      const m = await c.next();
      assert.equal(m.t, 'error', `reply ${i}: ${JSON.stringify(m)}`);
    }
    await assert.rejects(c.next(300), /no message/, 'ignored frames get no reply');
    // The noisy connection still works: answer a call routed through the controller.
    const call = client.rpc('noisy', 'agent.ping');
    const req = await c.nextOf('req');
    c.send({ t: 'res', id: req.id, ok: true, result: { pong: 'raw' } });
    assert.deepEqual(await call, { pong: 'raw' });
    // And so does everyone else.
    assert.equal(((await client.rpc('good', 'agent.ping')) as { pong: boolean }).pong, true);
    c.close();
  });

  test('controller: garbage before auth and oversized frames close only that connection', async () => {
    const pre = frames.slice(0, 40).map(async (f) => {
      const c = new RawConn(ctl.url, ctl.fingerprint);
      await c.opened;
      c.send(f.frame);
      return (await c.closed).code;
    });
    for (const code of await Promise.all(pre)) assert.equal(code, CloseCode.ProtocolError);
    const e = await enrollRaw(ctl.url, ctl.fingerprint, (await client.mintJoinToken({ name: 'huge' })).token);
    const big = new RawConn(ctl.url, ctl.fingerprint);
    await handshake(big, e.identity!);
    assert.equal((await big.next()).t, 'welcome');
    big.send(JSON.stringify({ t: 'event', kind: 'x', at: 1, data: 'z'.repeat(2 * 1024 * 1024) }));
    assert.equal((await big.closed).code, CloseCode.TooLarge);
    assert.equal(((await client.rpc('good', 'agent.ping')) as { pong: boolean }).pong, true);
    assert.equal(ctl.proc.child.exitCode, null);
  });

  test(`agent: ${frames.length} malformed frames from a (pinned) controller get error replies; it keeps serving`, async () => {
    const adir = join(dir, 'target');
    assert.equal((await enrollAgent(adir, (await client.mintJoinToken({ name: 'target' })).token)).code, 0);
    const identity = JSON.parse(readFileSync(join(adir, 'identity.json'), 'utf8')) as { controllerId: string };
    // A stand-in controller holding the real controller's TLS key, so the agent's pin accepts it.
    const server: Server = createServer({ cert: readFileSync(join(ctl.dataDir, 'tls/cert.pem')), key: readFileSync(join(ctl.dataDir, 'tls/key.pem')) });
    const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 * 1024 });
    const sockets: WebSocket[] = [];
    const connections: RawQueue[] = [];
    wss.on('connection', (ws) => { sockets.push(ws); connections.push(new RawQueue(ws)); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const target = startAgent(adir);
    try {
      // Point the agent at the stand-in by rewriting only the URL in its identity.
      await target.stop();
      const idPath = join(adir, 'identity.json');
      const saved = JSON.parse(readFileSync(idPath, 'utf8'));
      const { writeFileSync } = await import('node:fs');
      writeFileSync(idPath, JSON.stringify({ ...saved, controllerUrl: `https://127.0.0.1:${port}` }), { mode: 0o600 });
      const hostileTarget = startAgent(adir);
      try {
        const q = await waitForConnection(connections, 0);
        assert.equal((await q.next()).t, 'hello');
        q.send({ t: 'challenge', v: 1, nonce: 'n'.repeat(32), controllerId: identity.controllerId, now: Math.floor(Date.now() / 1000) });
        assert.equal((await q.next()).t, 'auth');
        q.send({ t: 'welcome', agentId: 'x', name: 'target', labels: {}, heartbeatMs: 60_000 });
        assert.equal((await q.nextOf('inventory')).t, 'inventory');
        for (const f of frames) q.send(f.frame);
        const expected = frames.filter((f) => f.reply === 'error').length;
        for (let i = 0; i < expected; i++) assert.equal((await q.next()).t, 'error', `reply ${i}`);
        q.send({ t: 'req', id: 'p1', method: 'agent.ping', deadline: Date.now() + 5000 });
        const res = await q.next();
        assert.equal(res.t, 'res');
        assert.equal(res.ok, true);
        // An oversized frame closes the connection; the agent reconnects.
        q.send('x'.repeat(2 * 1024 * 1024));
        const q2 = await waitForConnection(connections, 1);
        assert.equal((await q2.next()).t, 'hello');
        assert.equal(hostileTarget.child.exitCode, null);
      } finally {
        await hostileTarget.stop();
      }
    } finally {
      for (const s of sockets) s.terminate();
      wss.close();
      server.close();
    }
  });
});

class RawQueue {
  private queue: Record<string, unknown>[] = [];
  private waiter: ((m: Record<string, unknown>) => void) | null = null;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Record<string, unknown>;
      if (this.waiter) { const w = this.waiter; this.waiter = null; w(m); } else this.queue.push(m);
    });
  }
  send(f: unknown): void {
    this.ws.send(typeof f === 'string' || Buffer.isBuffer(f) ? f : JSON.stringify(f));
  }
  next(timeoutMs = 5000): Promise<Record<string, unknown>> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no message from agent')), timeoutMs);
      this.waiter = (x) => { clearTimeout(t); resolve(x); };
    });
  }
  async nextOf(t: string): Promise<Record<string, unknown>> {
    for (;;) { const m = await this.next(); if (m.t === t) return m; }
  }
}

async function waitForConnection(list: RawQueue[], index: number): Promise<RawQueue> {
  const until = Date.now() + 10_000;
  while (!list[index]) {
    if (Date.now() > until) throw new Error(`agent did not connect (#${index})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return list[index]!;
}
