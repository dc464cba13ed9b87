import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { request } from 'undici';
import { UserError } from '@drover/shared';
import { adminClient, removeDir, startController, tempDir, type ControllerProc } from '../e2e/harness.js';
import { RawConn, enrollRaw, handshake } from '../e2e/raw-agent.js';
import type { OperatorClient } from '../client/operator-client.js';
import { pinnedDispatcher } from '../e2e/undici-pinned.js';
import { ApiError } from './operator-api.js';

const SECRET = 'hunter2-very-secret';
const PASSWORD = 'registry-pass-42';

describe('POST /v1/agents/:name/rpc: a failed operation reaches the operator with its details, never with a secret', () => {
  let dir: string;
  let ctl: ControllerProc;
  let client: OperatorClient;
  let token: string;
  let conn: RawConn;
  /** How the hand-driven agent answers the next request. */
  let answer: (req: Record<string, unknown>) => Record<string, unknown>;

  before(async () => {
    dir = tempDir('rpc-errors');
    ctl = await startController(join(dir, 'ctl'));
    ({ client, token } = await adminClient(ctl));
    const e = await enrollRaw(ctl.url, ctl.fingerprint, (await client.mintJoinToken({ name: 'web-1' })).token);
    conn = new RawConn(ctl.url, ctl.fingerprint);
    await handshake(conn, e.identity!);
    assert.equal((await conn.next()).t, 'welcome');
    conn.ws.on('message', (data) => {
      const req = JSON.parse(data.toString()) as Record<string, unknown>;
      if (req.t === 'req') conn.send({ t: 'res', id: req.id, ok: false, error: answer(req) });
    });
  });
  after(async () => {
    conn?.close();
    await client?.close();
    await ctl?.proc.stop();
    if (dir) removeDir(dir);
  });

  // An agent that echoes its params into the error: the worst case the controller must still hide.
  const echoing = (req: Record<string, unknown>) => {
    const p = JSON.stringify(req.params);
    return {
      code: 'operation_failed', message: `sample-app-web-v3 on web-1 did not become healthy: params were ${p}`,
      details: { details: ['health: {"Status":"unhealthy"}', 'last log lines of sample-app-web-v3:', `  booting with SECRET_KEY=${SECRET}`, `  ${JSON.stringify({ key: `${SECRET}\nline2` })}`, `  login ${PASSWORD}`], exitCode: 3 },
    };
  };
  const params = { service: 'sample-app', role: 'web', version: 'v3', env: { clear: { RAILS_ENV: 'production' }, secrets: { SECRET_KEY: SECRET, MULTI: `${SECRET}\nline2` } }, registry: { username: 'u', password: PASSWORD } };

  test('the HTTP body: zod-typed, details and exit code kept, secrets redacted', async () => {
    answer = echoing;
    const res = await request(`${ctl.url}/v1/agents/web-1/rpc`, {
      method: 'POST', dispatcher: pinnedDispatcher(ctl.fingerprint),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'app.boot', params }),
    });
    const text = await res.body.text();
    assert.equal(res.statusCode, 502);
    for (const s of [SECRET, PASSWORD]) assert.ok(!text.includes(s), `${s} leaked: ${text}`);
    const body = ApiError.parse(JSON.parse(text));
    assert.equal(body.error.code, 'operation_failed');
    assert.match(body.error.message, /did not become healthy: params were .*"SECRET_KEY":"\[REDACTED\]"/);
    assert.match(body.error.message, /"RAILS_ENV":"production"/, 'clear values are not secrets');
    assert.deepEqual(body.error.details, [
      'health: {"Status":"unhealthy"}', 'last log lines of sample-app-web-v3:', '  booting with SECRET_KEY=[REDACTED]', '  {"key":"[REDACTED]"}', '  login [REDACTED]',
    ]);
    assert.equal(body.error.exitCode, 3);
  });

  test('OperatorClient.rpc throws a UserError with the details (what the CLI prints indented) and the agent\'s exit code', async () => {
    answer = echoing;
    await assert.rejects(client.rpc('web-1', 'app.boot', params), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /^controller: sample-app-web-v3 on web-1 did not become healthy/);
      assert.equal(e.exitCode, 3);
      assert.deepEqual(e.details.slice(0, 3), ['health: {"Status":"unhealthy"}', 'last log lines of sample-app-web-v3:', '  booting with SECRET_KEY=[REDACTED]']);
      return true;
    });
    await assert.rejects(client.rpcStream('web-1', 'app.boot', params, Buffer.alloc(0)), (e: UserError) => e.exitCode === 3 && e.details.length === 5);
  });

  test('other agent errors keep their shape: no details, exit code 1', async () => {
    answer = () => ({ code: 'invalid_params', message: 'app.boot: proxy.appPort: Expected number, received string' });
    await assert.rejects(client.rpc('web-1', 'app.boot', {}), (e: UserError) => {
      assert.equal(e.message, 'controller: app.boot: proxy.appPort: Expected number, received string');
      assert.deepEqual([e.details, e.exitCode], [[], 1]);
      return true;
    });
    // A malformed `details` from the agent is dropped, not passed on.
    answer = () => ({ code: 'operation_failed', message: 'broken', details: { details: 'not a list', exitCode: 2 } });
    await assert.rejects(client.rpc('web-1', 'app.boot', {}), (e: UserError) => e.message === 'controller: broken' && e.details.length === 0 && e.exitCode === 1);
  });

});
