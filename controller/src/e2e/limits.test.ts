/**
 * The listener's limits (server/connection-limits.ts) against a real controller over loopback:
 * sockets that never start TLS (or never send a request) are closed after 20 s (10 s) instead of
 * node's 120 s, a global cap and a per-address cap refuse connections, an authenticated agent does not
 * count against its address, and failed attempts are answered 429 and logged once per address.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { request } from 'undici';
import { AGENT_CONNECT_PATH, connectPinned } from '@drover/shared/protocol';
import { adminClient, eventually, removeDir, startController, tempDir, type ControllerProc } from './harness.js';
import { RawConn, enrollRaw, handshake } from './raw-agent.js';
import { pinnedDispatcher } from './undici-pinned.js';

/** Node's own handshake timeout is 120 s; ours is 20 s (10 s for a request head after it). */
const CLOSED_WITHIN_MS = 40_000;

/** A pinned TLS connection, or null when the controller refused it (closed before the handshake). */
function openTls(ctl: ControllerProc): Promise<TLSSocket | null> {
  return new Promise((resolve) => {
    const socket = connectPinned({ host: '127.0.0.1', port: ctl.port }, ctl.fingerprint, (err) => resolve(err ? null : socket));
    socket.on('error', () => undefined);
    // Reading is what lets a paused socket see the controller's end and close.
    socket.resume();
    socket.once('close', () => resolve(null));
  });
}

/** Resolves with how long `socket` stayed open; rejects if it is still open after `limitMs`. */
function untilClosed(socket: net.Socket, limitMs: number): Promise<number> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve(0);
    const timer = setTimeout(() => reject(new Error(`socket still open after ${limitMs} ms`)), limitMs);
    socket.once('close', () => { clearTimeout(timer); resolve(Date.now() - start); });
  });
}

function openSilent(ctl: ControllerProc): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(ctl.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
    socket.resume();
  });
}

/** Everything the controller answers to a websocket upgrade on the agent path, until it closes. */
function agentUpgradeAnswer(ctl: ControllerProc): Promise<string> {
  return new Promise((resolve) => {
    const socket = connectPinned({ host: '127.0.0.1', port: ctl.port }, ctl.fingerprint, (err) => {
      if (err) return resolve(`error: ${err.message}`);
      socket.write(`GET ${AGENT_CONNECT_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${Buffer.alloc(16, 1).toString('base64')}\r\n\r\n`);
    });
    let answer = '';
    socket.on('data', (d: Buffer) => { answer += d.toString(); });
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(answer));
  });
}

describe('listener limits', () => {
  let dir: string;
  const started: ControllerProc[] = [];
  const sockets: net.Socket[] = [];

  const start = async (name: string, serveArgs: string[]) => {
    const ctl = await startController(join(dir, name), { serveArgs });
    started.push(ctl);
    return ctl;
  };

  before(() => { dir = tempDir('e2e-limits'); });
  after(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(started.map((c) => c.proc.stop()));
    removeDir(dir);
  });

  test('silent sockets are closed after the handshake and head timeouts; the global cap holds for trusted addresses too', async () => {
    // Loopback is trusted by default: the per-address limit of 1 does not apply, the global cap of 3 does.
    const ctl = await start('cap', ['--max-connections', '3', '--max-connections-per-address', '1']);
    const silent = await openSilent(ctl);
    sockets.push(silent);
    const tlsOnly = await Promise.all([openTls(ctl), openTls(ctl)]);
    assert.ok(tlsOnly.every((s) => s !== null), 'two TLS connections besides the silent one are within the cap');
    sockets.push(...(tlsOnly as TLSSocket[]));
    assert.equal(await openTls(ctl), null, 'a fourth connection is over --max-connections 3');
    await ctl.proc.waitFor(/connection refused: the controller holds its maximum of 3 connections/);

    // Never started TLS / finished TLS but never sent a request: both closed by the controller.
    await Promise.all([silent, ...(tlsOnly as TLSSocket[])].map((s) => untilClosed(s, CLOSED_WITHIN_MS)));
    const again = await openTls(ctl);
    assert.ok(again, 'the closed connections no longer count');
    again.destroy();
  });

  test('one address holds a limited number of unauthenticated connections; an authenticated agent does not count', async () => {
    const ctl = await start('per-address', ['--trusted-addresses', 'none', '--max-connections-per-address', '2']);
    const { client } = await adminClient(ctl);
    const joinToken = (await client.mintJoinToken({ name: 'nat-1' })).token;
    await client.close();
    const enrolled = await enrollRaw(ctl.url, ctl.fingerprint, joinToken);
    assert.equal(enrolled.status, 201);
    const agent = new RawConn(ctl.url, ctl.fingerprint);
    await handshake(agent, enrolled.identity!);
    assert.equal((await agent.next()).t, 'welcome');

    // Two more from the same address fit beside the agent (the enroll and operator connections may take a moment to close).
    const held: TLSSocket[] = [];
    await eventually(async () => {
      const s = await openTls(ctl);
      if (s) held.push(s);
      return held.filter((h) => !h.destroyed).length >= 2;
    }, 10_000, 'two unauthenticated connections beside the agent');
    sockets.push(...held);
    assert.equal(await openTls(ctl), null, 'a third unauthenticated connection is over the limit');
    await ctl.proc.waitFor(/connection refused: 127\.0\.0\.1 holds its maximum of 2 unauthenticated connections/);
    agent.close();
  });

  test('failed enrollments are answered 429 past the budget and logged once per address', async () => {
    const ctl = await start('rate', ['--trusted-addresses', 'none']);
    const { token: adminToken } = await adminClient(ctl);
    const dispatcher = pinnedDispatcher(ctl.fingerprint);
    try {
      const publicKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
      const statuses: number[] = [];
      let refusal: { retryAfter: string; body: { error: { code: string; message: string } } } | null = null;
      while (!refusal && statuses.length < 100) {
        const res = await request(`${ctl.url}/v1/agent/enroll`, {
          method: 'POST', dispatcher, headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token: 'eyJhbGciOiJFZERTQSJ9.eyJ4IjoxfQ.AAAA', publicKey, hostname: 'h', agentVersion: 'x' }),
        });
        const body = (await res.body.json()) as { error: { code: string; message: string } };
        statuses.push(res.statusCode);
        if (res.statusCode === 429) refusal = { retryAfter: String(res.headers['retry-after']), body };
      }
      assert.ok(refusal, `no 429 after ${statuses.length} failed enrollments`);
      assert.ok(statuses.filter((s) => s === 401).length >= 10, `a few failures are answered before the limit: ${statuses.join(' ')}`);
      assert.equal(refusal.body.error.code, 'rate_limited');
      assert.match(refusal.body.error.message, /^too many failed authentication attempts from 127\.0\.0\.1; retry in \d+ s$/);
      assert.match(refusal.retryAfter, /^\d+$/);

      // The same budget covers agent handshakes and operator requests from this address.
      assert.match(await agentUpgradeAnswer(ctl), /^HTTP\/1\.1 429 Too Many Requests\r\n(.*\r\n)*Retry-After: \d+\r\n/);
      const operator = await request(`${ctl.url}/v1/agents`, { dispatcher, headers: { authorization: `Bearer ${adminToken}` } });
      await operator.body.dump();
      assert.equal(operator.statusCode, 429);

      const refusedLines = ctl.proc.all.split('\n').filter((l) => l.includes('enrollment refused'));
      assert.equal(refusedLines.length, 1, `one log line for ${statuses.length} refusals, got:\n${refusedLines.join('\n')}`);
    } finally {
      await dispatcher.close();
    }
  });
});
