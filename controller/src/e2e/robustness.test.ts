import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { CloseCode, PROTOCOL_VERSION, connectPinned } from '@drover/shared/protocol';
import { Proc, adminClient, removeDir, startController, tempDir, type ControllerProc } from './harness.js';
import { RawConn, enrollRaw, handshake, type RawIdentity } from './raw-agent.js';
import type { OperatorClient } from '../client/operator-client.js';

describe('a bad day does not end the controller', () => {
  let dir: string;
  let ctl: ControllerProc;
  let client: OperatorClient;
  let opToken: string;

  const enroll = async (name: string): Promise<RawIdentity> => {
    const e = await enrollRaw(ctl.url, ctl.fingerprint, (await client.mintJoinToken({ name })).token);
    assert.equal(e.status, 201);
    return e.identity!;
  };

  before(async () => {
    dir = tempDir('e2e-robust');
    ctl = await startController(join(dir, 'ctl'));
    ({ client, token: opToken } = await adminClient(ctl));
  });
  after(async () => {
    await client.close();
    await ctl.proc.stop();
    removeDir(dir);
  });

  test('a store read that throws during a handshake closes that connection with 1011, and the controller keeps serving', async () => {
    const damaged = await enroll('damaged');
    const healthy = await enroll('healthy');
    const db = new Database(join(ctl.dataDir, 'controller.db'));
    try {
      db.prepare("UPDATE agents SET labels = 'not json' WHERE id = ?").run(damaged.agentId);
    } finally {
      db.close();
    }
    const from = ctl.proc.all.length;
    for (let attempt = 0; attempt < 3; attempt++) {
      const c = new RawConn(ctl.url, ctl.fingerprint);
      await c.opened;
      c.send({ t: 'hello', v: PROTOCOL_VERSION, agentId: damaged.agentId, agentVersion: 'test' });
      assert.equal((await c.closed).code, CloseCode.InternalError);
    }
    await ctl.proc.waitFor(/agent connection event failed/, 5000, from);
    assert.equal(ctl.proc.child.exitCode, null, 'the controller exited');

    const c = new RawConn(ctl.url, ctl.fingerprint);
    await handshake(c, healthy);
    assert.equal((await c.next()).t, 'welcome');
    c.close();
  });

  test('a Host header that is not HOST[:PORT] never reaches a join token or the printed shell line', async () => {
    const mint = async (host: string) => {
      const res = await rawPost(ctl, '/v1/agents/tokens', host, opToken, '{}');
      return { status: res.status, body: JSON.parse(res.body) as { installCommand?: string; url?: string; error?: { code: string } } };
    };
    {
      for (const host of ["h'$(id>pwned)'x", 'h x', 'h/x', 'user@h', 'h:0', 'h:99999', '[::1', 'a..b']) {
        const r = await mint(host);
        assert.equal(r.status, 400, `${host} → ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error?.code, 'no_public_url');
      }
      for (const host of ['controller.example.com:7443', '10.0.0.5', '[fd00::1]:7443']) {
        const r = await mint(host);
        assert.equal(r.status, 201, `${host} → ${JSON.stringify(r.body)}`);
        assert.equal(r.body.url, `https://${host}`);
        const script = `curl -fsSL --pinnedpubkey 'sha256//[A-Za-z0-9+/=]+' -k 'https://${host.replace(/[[\].]/g, '\\$&')}/install\\.sh' \\|\\| echo exit 1`;
        assert.match(r.body.installCommand!, new RegExp(`^printf '%s\\\\n' '[A-Za-z0-9._-]+' \\| sudo sh -c "\\$\\(${script}\\)" install\\.sh --token-stdin$`));
      }
    }
  });
});

/** One HTTP/1.1 request over a pinned TLS socket, written by hand: HTTP clients refuse or rewrite a hostile Host header. */
function rawPost(ctl: ControllerProc, path: string, host: string, token: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    connectPinned({ host: '127.0.0.1', port: ctl.port, alpn: ['http/1.1'] }, ctl.fingerprint, (err, socket) => {
      if (err || !socket) return reject(err ?? new Error('no socket'));
      let response = '';
      socket.on('data', (d: Buffer) => { response += d.toString('utf8'); });
      socket.on('error', reject);
      socket.on('end', () => {
        const [head = '', ...rest] = response.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), body: rest.join('\r\n\r\n') });
      });
      socket.write([
        `POST ${path} HTTP/1.1`, `Host: ${host}`, `Authorization: Bearer ${token}`, 'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', body,
      ].join('\r\n'));
    });
  });
}

test('the last resort logs an error nothing caught and the process keeps running', async () => {
  const lastResort = fileURLToPath(new URL('../server/last-resort.js', import.meta.url));
  const script = `
    const { installLastResort } = await import(${JSON.stringify(lastResort)});
    const log = { error: (fields, msg) => console.log(msg, String(fields.err?.message ?? fields.err)) };
    installLastResort(log);
    setTimeout(() => { throw new Error('thrown in a timer'); });
    void Promise.reject(new Error('rejected and never awaited'));
    setTimeout(() => console.log('still serving'), 50);
  `;
  const child = new Proc(spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] }));
  assert.equal(await child.exited, 0, child.all);
  assert.match(child.out, /uncaught error; the controller keeps serving.*thrown in a timer/);
  assert.match(child.out, /unhandled promise rejection; the controller keeps serving.*rejected and never awaited/);
  assert.match(child.out, /still serving/);
});
