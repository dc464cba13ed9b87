import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROLLER_MAIN, adminClient, enrollAgent, eventually, removeDir, run, startAgent, startController, tempDir, type ControllerProc, type Proc } from './harness.js';
import type { OperatorClient } from '../client/operator-client.js';

describe('controller ⇄ agent channel with real processes', () => {
  let dir: string;
  let ctl: ControllerProc;
  let client: OperatorClient;
  let token: string;
  const agents: Proc[] = [];

  before(async () => {
    dir = tempDir('e2e-channel');
    ctl = await startController(join(dir, 'ctl'));
    ({ client, token } = await adminClient(ctl));
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await client.close();
    await ctl.proc.stop();
    removeDir(dir);
  });

  test('enroll keeps a 0600 key, no token on disk; the agent connects and reports its inventory', async () => {
    const minted = await client.mintJoinToken({ name: 'web-1', labels: { role: 'web' } });
    assert.equal(minted.fingerprint, ctl.fingerprint);
    assert.match(minted.installCommand, /--pinnedpubkey 'sha256\/\/[A-Za-z0-9+/=]+'/);
    const adir = join(dir, 'a1');
    const r = await enrollAgent(adir, minted.token);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /enrolled as web-1/);
    assert.equal(statSync(join(adir, 'agent-key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(join(adir, 'identity.json')).mode & 0o777, 0o600);
    for (const f of readdirSync(adir)) assert.ok(!readFileSync(join(adir, f), 'utf8').includes(minted.token.split('.')[2]!), `${f} must not hold the join token`);

    const agent = startAgent(adir);
    agents.push(agent);
    await agent.waitFor(/info connected/);
    const view = await eventually(async () => (await client.listAgents()).find((a) => a.name === 'web-1' && a.online && a.agentVersion));
    assert.deepEqual(view.labels, { role: 'web' });
    assert.equal(view.address, '127.0.0.1');
    assert.equal(view.dockerVersion, null);
    assert.equal(view.agentVersion, '0.1.0');
  });

  test('single-use join tokens cannot be replayed; scoped names are enforced', async () => {
    const minted = await client.mintJoinToken({ name: 'web-2' });
    assert.equal((await enrollAgent(join(dir, 'a2'), minted.token)).code, 0);
    const again = await enrollAgent(join(dir, 'a2b'), minted.token);
    assert.notEqual(again.code, 0);
    assert.match(again.err, /already used/);
    const scoped = await client.mintJoinToken({ name: 'web-3' });
    const wrong = await enrollAgent(join(dir, 'a3'), scoped.token, ['--name', 'other']);
    assert.match(wrong.err, /for agent web-3, not other/);
    const reusable = await client.mintJoinToken({ reusable: true });
    assert.equal((await enrollAgent(join(dir, 'a4'), reusable.token, ['--name', 'r-1'])).code, 0);
    assert.equal((await enrollAgent(join(dir, 'a5'), reusable.token, ['--name', 'r-2'])).code, 0);
    const dup = await enrollAgent(join(dir, 'a6'), reusable.token, ['--name', 'r-2']);
    assert.match(dup.err, /already enrolled/);
  });

  test('RPC round-trip, unknown method, invalid params and deadline through the controller', async () => {
    const pong = (await client.rpc('web-1', 'agent.ping')) as { pong: boolean };
    assert.equal(pong.pong, true);
    const info = (await client.rpc('web-1', 'agent.info')) as { hostname: string; docker: unknown };
    assert.equal(typeof info.hostname, 'string');
    assert.equal(info.docker, null);
    await assert.rejects(client.rpc('web-1', 'no.such.method'), /unknown method no\.such\.method/);
    await assert.rejects(client.rpc('web-1', 'test.sleep', { ms: 'x' }), /test\.sleep: ms/);
    await assert.rejects(client.rpc('web-1', 'test.sleep', { ms: 5000 }, 300), /deadline exceeded|no answer within 300 ms/);
    await assert.rejects(client.rpc('web-2', 'agent.ping'), /not connected/);
  });

  test('streams carry data both ways with flow control, TTY resize and eof', async () => {
    const input = Buffer.alloc(3 * 1024 * 1024 + 17, 7); // several windows' worth
    const echo = await client.rpcStream('web-1', 'test.echo', {}, input, { resize: { cols: 120, rows: 40 }, timeoutMs: 30_000 });
    assert.equal(echo.output.length, input.length);
    assert.ok(echo.output.equals(input));
    assert.deepEqual(echo.result, { bytes: input.length, notes: ['resize 120x40'] });
    const gen = await client.rpcStream('web-1', 'test.generate', { bytes: 5_000_000, chunkBytes: 65536 }, Buffer.alloc(0), { timeoutMs: 30_000 });
    assert.equal(gen.output.length, 5_000_000);
    await assert.rejects(client.rpcStream('web-1', 'agent.ping', {}, Buffer.alloc(0)), /does not take a stream/);
  });

  test('labels change; revoke drops the live connection and the agent stops', async () => {
    const l = await client.label('web-1', { set: { tier: 'front' }, remove: ['role'] });
    assert.deepEqual(l.labels, { tier: 'front' });
    const agent = agents[0]!;
    const r = await client.revoke('web-1');
    assert.equal(r.wasOnline, true);
    assert.equal(await agent.exited, 3);
    assert.match(agent.err, /RevokedAgent \(4011\)/);
    assert.equal((await client.listAgents()).find((a) => a.name === 'web-1'), undefined);
  });

  test('operator CLI: login pins the fingerprint, agents list/--json, bad flags exit 64', async () => {
    const cfg = join(dir, 'cfg');
    const env = { DROVER_CONFIG_DIR: cfg, DROVER_CONTROLLER: '', DROVER_TOKEN: '' };
    const login = await run(CONTROLLER_MAIN, ['login', ctl.url, '--token', token], env);
    assert.equal(login.code, 0, login.err);
    assert.match(login.err, new RegExp(ctl.fingerprint));
    const creds = JSON.parse(readFileSync(join(cfg, 'credentials.json'), 'utf8'));
    assert.equal(creds.contexts.default.fingerprint, ctl.fingerprint);
    assert.equal(statSync(join(cfg, 'credentials.json')).mode & 0o777, 0o600);
    const list = await run(CONTROLLER_MAIN, ['agents', '--json'], env);
    assert.equal(list.code, 0, list.err);
    assert.ok(JSON.parse(list.out).agents.some((a: { name: string }) => a.name === 'web-2'));
    const table = await run(CONTROLLER_MAIN, ['agents', 'list'], env);
    assert.match(table.out, /NAME\s+STATUS\s+LAST SEEN/);
    assert.match(table.out, /web-2\s+offline/);
    const bad = await run(CONTROLLER_MAIN, ['agents', 'list', '--bogus'], env);
    assert.equal(bad.code, 64);
    const wrongPin = await run(CONTROLLER_MAIN, ['agents'], { ...env, DROVER_FINGERPRINT: 'sha256:' + '0'.repeat(64) });
    assert.notEqual(wrongPin.code, 0);
    assert.match(wrongPin.err, /refusing to talk to it/);
    const envOnly = await run(CONTROLLER_MAIN, ['agents', '--json'], { DROVER_CONFIG_DIR: join(dir, 'none'), DROVER_CONTROLLER: ctl.url, DROVER_TOKEN: token, DROVER_FINGERPRINT: ctl.fingerprint });
    assert.equal(envOnly.code, 0, envOnly.err);
  });

  test('/healthz answers status only; /metrics answers an operator token', async () => {
    const { request } = await import('undici');
    const { pinnedDispatcher } = await import('./undici-pinned.js');
    const d = pinnedDispatcher(ctl.fingerprint);
    try {
      const h = await request(`${ctl.url}/healthz`, { dispatcher: d });
      assert.equal(h.statusCode, 200);
      assert.deepEqual(await h.body.json(), { ok: true });
      const m = await request(`${ctl.url}/metrics`, { dispatcher: d, headers: { authorization: `Bearer ${token}` } });
      const text = await m.body.text();
      assert.match(text, /drover_agents_online \d+/);
      assert.match(text, /drover_rpcs_total\{outcome="ok"\} \d+/);
      assert.match(text, /drover_enrollments_total [1-9]/);
    } finally {
      await d.close();
    }
  });
});
