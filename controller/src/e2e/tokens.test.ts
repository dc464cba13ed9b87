import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { request } from 'undici';
import { OperatorClient } from '../client/operator-client.js';
import { createOperatorToken, hashOperatorToken } from '../auth/operator-token.js';
import { mintJoinToken } from '../auth/join-token.js';
import { loadControllerIdentity } from '../auth/controller-identity.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { RPC_OUTCOMES } from '../server/metrics.js';
import { CONTROLLER_MAIN, adminClient, removeDir, run, startController, tempDir, type ControllerProc } from './harness.js';
import { RawConn, enrollRaw, handshake } from './raw-agent.js';
import { pinnedDispatcher } from './undici-pinned.js';

/** `drover controller token create` as the operator runs it on the controller host. */
async function createToken(ctl: ControllerProc, scope: string, name: string, extra: string[] = []): Promise<{ id: string; token: string; expiresAt: number | null }> {
  const r = await run(CONTROLLER_MAIN, ['controller', 'token', 'create', '--scope', scope, '--name', name, '--data-dir', ctl.dataDir, '--json', ...extra]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as { id: string; token: string; expiresAt: number | null };
}

/** A plain request with an optional bearer token: status, and the body as text. */
async function fetchAs(ctl: ControllerProc, path: string, token: string | null): Promise<{ status: number; text: string }> {
  const dispatcher = pinnedDispatcher(ctl.fingerprint);
  try {
    const res = await request(`${ctl.url}${path}`, { dispatcher, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.statusCode, text: await res.body.text() };
  } finally {
    await dispatcher.close();
  }
}

describe('operator and join tokens: list, expire, revoke (real controller over TLS)', () => {
  let dir: string;
  let ctl: ControllerProc;
  let admin: OperatorClient;
  let adminToken: string;
  const clients: OperatorClient[] = [];
  const clientFor = (token: string) => {
    const c = new OperatorClient({ controller: ctl.url, token, fingerprint: ctl.fingerprint });
    clients.push(c);
    return c;
  };

  before(async () => {
    dir = tempDir('e2e-tokens');
    ctl = await startController(join(dir, 'ctl'));
    ({ client: admin, token: adminToken } = await adminClient(ctl));
  });
  after(async () => {
    await Promise.all([admin, ...clients].map((c) => c?.close()));
    await ctl?.proc.stop();
    if (dir) removeDir(dir);
  });

  test('operator tokens are listed without their values or hashes, with their last use, and revoked at once', async () => {
    const ci = await createToken(ctl, 'deploy', 'ci');
    const deployer = clientFor(ci.token);
    assert.equal((await deployer.whoami()).tokenName, 'ci');

    const listed = await admin.listOperatorTokens();
    const row = listed.find((t) => t.id === ci.id);
    assert.deepEqual([row?.name, row?.scope, row?.status, row?.expiresAt], ['ci', 'deploy', 'active', null]);
    assert.ok(row?.lastUsedAt, 'the use by whoami is recorded');
    const shown = JSON.stringify(listed);
    assert.ok(!shown.includes(ci.token) && !shown.includes(hashOperatorToken(ci.token)) && !shown.includes('drv_op_'), 'no token value or hash in the listing');
    await assert.rejects(deployer.listOperatorTokens(), /scope deploy; admin is required/);

    const r = await admin.revokeOperatorToken(ci.id);
    assert.deepEqual([r.token.id, r.token.status, r.self], [ci.id, 'revoked', false]);
    await assert.rejects(deployer.whoami(), /operator token ci \(\w+\) was revoked/);
    assert.equal((await admin.listOperatorTokens()).some((t) => t.id === ci.id), false, 'revoked tokens are left out by default');
    assert.equal((await admin.listOperatorTokens({ all: true })).find((t) => t.id === ci.id)?.status, 'revoked');
    await assert.rejects(admin.revokeOperatorToken(ci.id), /already revoked/);
  });

  test('revoking the token in use is allowed, by name, and the answer says it was that one', async () => {
    const other = await createToken(ctl, 'admin', 'short-lived-admin');
    const r = await clientFor(other.token).revokeOperatorToken('short-lived-admin');
    assert.deepEqual([r.token.id, r.self], [other.id, true]);
    await assert.rejects(clientFor(other.token).whoami(), /was revoked/);
  });

  test('a token created with --expires carries its expiry and is refused once it has passed', async () => {
    const month = await createToken(ctl, 'read', 'a-month', ['--expires', '30d']);
    assert.ok(month.expiresAt && Math.abs(month.expiresAt - (Date.now() + 30 * 86_400_000)) < 60_000, `expiresAt ${month.expiresAt}`);
    assert.equal((await clientFor(month.token).whoami()).tokenName, 'a-month');
    const bad = await run(CONTROLLER_MAIN, ['controller', 'token', 'create', '--scope', 'read', '--expires', 'soon', '--data-dir', ctl.dataDir]);
    assert.equal(bad.code, 64);
    assert.match(bad.err, /--expires: expected a duration like 15m, 1h or 7d, got "soon"/);

    // One that expired a minute ago: written to the controller's store as `token create` would have, back then.
    const store = new SqliteStore(ctl.dataDir);
    const { secret, record } = createOperatorToken(store, { scope: 'read', name: 'expired', ttlSeconds: 60, now: Date.now() - 120_000 });
    store.close();
    const refused = await fetchAs(ctl, '/v1/whoami', secret);
    assert.equal(refused.status, 401);
    assert.match(refused.text, new RegExp(`operator token expired \\(${record.id}\\) expired at `));
    const all = await admin.listOperatorTokens({ all: true });
    assert.equal(all.find((t) => t.id === record.id)?.status, 'expired');
    assert.equal((await admin.listOperatorTokens()).some((t) => t.id === record.id), false);
  });

  test('join tokens are listed with their uses and can be revoked before they expire', async () => {
    const single = await admin.mintJoinToken({ name: 'web-1', labels: { role: 'web' } });
    const reusable = await admin.mintJoinToken({ reusable: true, ttlSeconds: 7 * 86_400 });
    let listed = await admin.listJoinTokens();
    assert.deepEqual(listed.filter((t) => [single.id, reusable.id].includes(t.id)).map((t) => [t.id, t.name, t.reusable, t.uses, t.status]), [
      [reusable.id, null, true, 0, 'active'],
      [single.id, 'web-1', false, 0, 'active'],
    ]);
    assert.ok(!JSON.stringify(listed).includes(single.token), 'no token value in the listing');

    assert.equal((await enrollRaw(ctl.url, ctl.fingerprint, single.token)).status, 201);
    assert.equal((await enrollRaw(ctl.url, ctl.fingerprint, reusable.token, 'pool-1')).status, 201);
    assert.equal((await enrollRaw(ctl.url, ctl.fingerprint, reusable.token, 'pool-2')).status, 201);
    listed = await admin.listJoinTokens();
    assert.equal(listed.some((t) => t.id === single.id), false, 'a used single-use token can enroll nothing more');
    assert.deepEqual([listed.find((t) => t.id === reusable.id)?.uses, listed.find((t) => t.id === reusable.id)?.status], [2, 'active']);
    assert.equal((await admin.listJoinTokens({ all: true })).find((t) => t.id === single.id)?.status, 'used');

    const revoked = await admin.revokeJoinToken(reusable.id);
    assert.deepEqual([revoked.status, revoked.uses], ['revoked', 2]);
    const refused = await enrollRaw(ctl.url, ctl.fingerprint, reusable.token, 'pool-3');
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.body, { error: { code: 'token_revoked', message: 'this join token was revoked' } });
    assert.equal((await admin.listAgents()).some((a) => a.name === 'pool-3'), false);
    await assert.rejects(admin.revokeJoinToken('0123456789abcdef'), /no join token with id 0123456789abcdef/);
    await assert.rejects(clientFor((await createToken(ctl, 'deploy', 'no-join')).token).listJoinTokens(), /admin is required/);
  });

  test('enrollment refuses a correctly signed join token the controller has no record of', async () => {
    const identity = loadControllerIdentity(ctl.dataDir);
    const unrecorded = await mintJoinToken({
      controllerId: identity.controllerId, signingKey: identity.signingKey, ttlSeconds: 600,
      claims: { url: ctl.url, fp: ctl.fingerprint, name: 'ghost', labels: {}, reusable: true },
    });
    const r = await enrollRaw(ctl.url, ctl.fingerprint, unrecorded.token);
    assert.equal(r.status, 401);
    assert.equal((r.body.error as { code: string }).code, 'token_unknown');
  });

  test('/healthz says only that it is up; /metrics needs a token, and a metrics token reads nothing else', async () => {
    const health = await fetchAs(ctl, '/healthz', null);
    assert.deepEqual([health.status, JSON.parse(health.text)], [200, { ok: true }]);
    assert.equal((await fetchAs(ctl, '/metrics', null)).status, 401);
    const scraper = await createToken(ctl, 'metrics', 'prometheus');
    const metrics = await fetchAs(ctl, '/metrics', scraper.token);
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /drover_agents_online \d+/);
    assert.equal((await fetchAs(ctl, '/metrics', adminToken)).status, 200);
    for (const path of ['/v1/agents', '/v1/whoami', '/v1/deployments']) {
      const r = await fetchAs(ctl, path, scraper.token);
      assert.equal(r.status, 403, path);
      assert.match(r.text, /this token has scope metrics; read is required/);
    }
  });

  test('--open-metrics serves /metrics without a token', async () => {
    const open = await startController(join(dir, 'open'), { serveArgs: ['--open-metrics'] });
    try {
      assert.equal((await fetchAs(open, '/metrics', null)).status, 200);
      assert.equal((await fetchAs(open, '/v1/agents', null)).status, 401);
    } finally {
      await open.proc.stop();
    }
  });

  test('error codes an agent makes up do not become drover_rpcs_total labels', async () => {
    const e = await enrollRaw(ctl.url, ctl.fingerprint, (await admin.mintJoinToken({ name: 'hostile' })).token);
    const conn = new RawConn(ctl.url, ctl.fingerprint);
    try {
      await handshake(conn, e.identity!);
      assert.equal((await conn.next()).t, 'welcome');
      let n = 0;
      conn.ws.on('message', (data) => {
        const req = JSON.parse(data.toString()) as Record<string, unknown>;
        if (req.t === 'req') conn.send({ t: 'res', id: req.id, ok: false, error: { code: `made-up-${n++}"\n`, message: 'no' } });
      });
      for (let i = 0; i < 20; i++) await assert.rejects(admin.rpc('hostile', 'anything.at.all'), /no/);
    } finally {
      conn.close();
    }
    const text = (await fetchAs(ctl, '/metrics', adminToken)).text;
    const outcomes = [...text.matchAll(/^drover_rpcs_total\{outcome="([^"]*)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])] as const);
    for (const [outcome] of outcomes) assert.ok(RPC_OUTCOMES.has(outcome), `unexpected outcome label ${outcome}`);
    assert.ok((outcomes.find(([o]) => o === 'other')?.[1] ?? 0) >= 20, text);
  });
});
