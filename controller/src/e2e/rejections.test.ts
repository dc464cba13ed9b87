import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { request } from 'undici';
import { CloseCode } from '@drover/shared/protocol';
import { adminClient, enrollAgent, removeDir, startController, tempDir, type ControllerProc } from './harness.js';
import { RawConn, enrollRaw, handshake, type RawIdentity } from './raw-agent.js';
import type { OperatorClient } from '../client/operator-client.js';
import { pinnedDispatcher } from './undici-pinned.js';

describe('every rejection has its own close code and a log line', () => {
  let dir: string;
  let ctl: ControllerProc;
  let client: OperatorClient;
  let opToken: string;
  let id: RawIdentity;

  const connect = () => new RawConn(ctl.url, ctl.fingerprint);

  before(async () => {
    dir = tempDir('e2e-reject');
    ctl = await startController(join(dir, 'ctl'));
    ({ client, token: opToken } = await adminClient(ctl));
    const e = await enrollRaw(ctl.url, ctl.fingerprint, (await client.mintJoinToken({ name: 'raw-1' })).token);
    assert.equal(e.status, 201);
    id = e.identity!;
  });
  after(async () => {
    await client.close();
    await ctl.proc.stop();
    removeDir(dir);
  });

  async function expectClose(tamper: Parameters<typeof handshake>[2], code: number, logLine: RegExp, who: RawIdentity = id) {
    const c = connect();
    const from = ctl.proc.all.length;
    await handshake(c, who, tamper);
    const closed = await c.closed;
    assert.equal(closed.code, code, `expected close ${code}, got ${closed.code} (${closed.reason})`);
    await ctl.proc.waitFor(logLine, 5000, from);
  }

  test('a correct handshake is welcomed', async () => {
    const c = connect();
    await handshake(c, id);
    const w = await c.next();
    assert.equal(w.t, 'welcome');
    assert.equal(w.name, 'raw-1');
    c.close();
  });

  test('unknown agent → 4010', async () => {
    const c = connect();
    await c.opened;
    c.send({ t: 'hello', v: 1, agentId: 'agt-doesnotexist', agentVersion: 'x' });
    assert.equal((await c.closed).code, CloseCode.UnknownAgent);
    await ctl.proc.waitFor(/no agent with this id is enrolled/);
  });

  test('bad signature → 4012', () => expectClose({ key: generateKeyPairSync('ed25519').privateKey }, CloseCode.BadSignature, /signature does not match the enrolled key/));
  test('wrong nonce (replay) → 4013', () => expectClose({ nonce: 'A'.repeat(32) }, CloseCode.WrongNonce, /nonce does not match this connection/));
  test('expired → 4014', () => expectClose({ iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) - 540 }, CloseCode.Expired, /auth token expired/));
  test('lifetime over 60 s → 4014', () => expectClose({ exp: Math.floor(Date.now() / 1000) + 3600 }, CloseCode.Expired, /exceeds 60s/));
  test('wrong audience → 4015', () => expectClose({ aud: 'ctl-someoneelse' }, CloseCode.WrongAudience, /addressed to another controller/));
  test('malformed auth → 4017', () => expectClose({ raw: 'not-a-jwt' }, CloseCode.MalformedAuth, /auth token is not a JWT/));
  test('an operator token answering the challenge → 4017', () => expectClose({ raw: opToken }, CloseCode.MalformedAuth, /auth token is not a JWT/));

  test('a captured auth answer replayed on a new connection → 4013', async () => {
    const first = connect();
    await first.opened;
    // Capture the token the first connection sends.
    let captured = '';
    const origSend = first.ws.send.bind(first.ws);
    (first.ws as unknown as { send: (d: string) => void }).send = (d: string) => { const m = JSON.parse(d); if (m.t === 'auth') captured = m.token; origSend(d); };
    await handshake(first, id);
    assert.equal((await first.next()).t, 'welcome');
    first.close();
    await expectClose({ raw: captured }, CloseCode.WrongNonce, /nonce does not match/);
  });

  test('second connection: the newer wins, the older is closed with 4016', async () => {
    const older = connect();
    await handshake(older, id);
    assert.equal((await older.next()).t, 'welcome');
    const newer = connect();
    await handshake(newer, id);
    assert.equal((await newer.next()).t, 'welcome');
    assert.equal((await older.closed).code, CloseCode.Replaced);
    const agents = await client.listAgents();
    assert.equal(agents.find((a) => a.name === 'raw-1')?.online, true);
    newer.close();
  });

  test('protocol version mismatch → 4001; garbage before auth → 4000', async () => {
    const v = connect();
    await v.opened;
    v.send({ t: 'hello', v: 99, agentId: id.agentId, agentVersion: 'x' });
    assert.equal((await v.closed).code, CloseCode.UnsupportedVersion);
    const g = connect();
    await g.opened;
    g.send('{nope');
    assert.equal((await g.closed).code, CloseCode.ProtocolError);
  });

  test('revoked agent → 4011, on connect and for a live connection', async () => {
    const e = await enrollRaw(ctl.url, ctl.fingerprint, (await client.mintJoinToken({ name: 'raw-2' })).token);
    const live = connect();
    await handshake(live, e.identity!);
    assert.equal((await live.next()).t, 'welcome');
    await client.revoke('raw-2');
    assert.equal((await live.closed).code, CloseCode.RevokedAgent);
    const again = connect();
    await again.opened;
    again.send({ t: 'hello', v: 1, agentId: e.identity!.agentId, agentVersion: 'x' });
    assert.equal((await again.closed).code, CloseCode.RevokedAgent);
    await ctl.proc.waitFor(/agent was revoked/);
  });

  test('operator routes refuse agent credentials and missing/weak tokens', async () => {
    const d = pinnedDispatcher(ctl.fingerprint);
    try {
      const asAgent = await request(`${ctl.url}/v1/agents`, { dispatcher: d, headers: { authorization: `Bearer ${id.agentId}` } });
      assert.equal(asAgent.statusCode, 401);
      await asAgent.body.dump();
      const none = await request(`${ctl.url}/v1/agents`, { dispatcher: d });
      assert.equal(none.statusCode, 401);
      await none.body.dump();
      const { client: reader } = await adminClient(ctl, 'read');
      await assert.rejects(reader.mintJoinToken({}), /scope read; admin is required/);
      assert.ok(Array.isArray(await reader.listAgents()));
      await reader.close();
    } finally {
      await d.close();
    }
  });

  test('enrollment refuses forged, expired-format and operator tokens', async () => {
    const forged = await enrollRaw(ctl.url, ctl.fingerprint, 'eyJhbGciOiJFZERTQSJ9.eyJ4IjoxfQ.AAAA');
    assert.equal(forged.status, 401);
    const op = await enrollRaw(ctl.url, ctl.fingerprint, opToken);
    assert.equal(op.status, 401);
  });

  test('an agent refuses a controller whose TLS key differs from the pinned one', async () => {
    const other = await startController(join(dir, 'other'));
    try {
      const minted = await client.mintJoinToken({ name: 'pinned' });
      // Same token (pinning our controller), but pointed at another controller's address.
      const r = await enrollAgent(join(dir, 'pin-agent'), minted.token, ['--controller', other.url]);
      assert.notEqual(r.code, 0);
      assert.match(r.err, /refusing to talk to it/);
    } finally {
      await other.proc.stop();
    }
  });
});
