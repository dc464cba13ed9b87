import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@drover/shared';
import type { OperatorClient } from '../client/operator-client.js';
import type { DeploymentRequest } from '../server/deployments-api.js';
import { adminClient, eventually, removeDir, startController, tempDir, type ControllerProc } from './harness.js';
import { RawConn, enrollRaw, handshake, type RawIdentity } from './raw-agent.js';
import { deployResultOf, SHOP_HEAD } from './shop-fixtures.js';

// The deployments API and rollout against a real controller process and protocol-level agents that
// answer operations by hand: ordering, events, lock, scopes, refusals, secrets, restart. (The same
// flow against real dockerds on NAT'd hosts is test/src/e2e/deploy.test.ts.)

const SECRET = 'db-password-never-shown';
const DEPLOY_YML = `${SHOP_HEAD}servers:
  web: [web-1]
env:
  secret: [DATABASE_PASSWORD]
`;

class FakeAgent {
  readonly calls: Array<{ method: string; params: Record<string, unknown> }> = [];
  /** Per method: answer with this error, or hold the call forever. */
  behaviour: Record<string, 'hold' | { code: string; message: string; details?: unknown }> = {};
  conn!: RawConn;

  async connect(ctl: ControllerProc, identity: RawIdentity): Promise<void> {
    this.conn = new RawConn(ctl.url, ctl.fingerprint);
    await handshake(this.conn, identity);
    assert.equal((await this.conn.next()).t, 'welcome');
    this.conn.ws.on('message', (data) => {
      const req = JSON.parse(data.toString()) as { t: string; id: string; method: string; params: Record<string, unknown> };
      if (req.t !== 'req') return;
      this.calls.push({ method: req.method, params: req.params });
      const b = this.behaviour[req.method];
      if (b === 'hold') return;
      if (b) this.conn.send({ t: 'res', id: req.id, ok: false, error: b });
      else this.conn.send({ t: 'res', id: req.id, ok: true, result: deployResultOf(req.method, req.params) });
    });
  }
}

function request(over: Partial<DeploymentRequest> = {}): DeploymentRequest {
  return {
    command: 'deploy', files: [{ name: 'config/deploy.yml', content: DEPLOY_YML }], version: 'v1',
    secrets: { KAMAL_REGISTRY_PASSWORD: 'reg-pw', DATABASE_PASSWORD: SECRET }, performer: 'ops@acme.test', lockHolder: 'Ops', ...over,
  };
}

async function follow(client: OperatorClient, id: string) {
  const events = [];
  for await (const e of client.followDeployment(id)) events.push(e.event);
  return events;
}

describe('deployments through the controller (protocol-level agents)', () => {
  let dir: string;
  let ctl: ControllerProc;
  let client: OperatorClient;
  let identity: RawIdentity;
  let agent: FakeAgent;

  before(async () => {
    dir = tempDir('deployments');
    ctl = await startController(join(dir, 'ctl'));
    ({ client } = await adminClient(ctl));
    const e = await enrollRaw(ctl.url, ctl.fingerprint, (await client.mintJoinToken({ name: 'web-1' })).token);
    identity = e.identity!;
    agent = new FakeAgent();
    await agent.connect(ctl, identity);
  });
  after(async () => {
    agent?.conn.close();
    await client?.close();
    await ctl?.proc.stop();
    if (dir) removeDir(dir);
  });

  test('a deploy runs Kamal\'s operations in order with idempotency keys; events replay from any index', async () => {
    const d = await client.submitDeployment(request());
    assert.deepEqual([d.status, d.command, d.service, d.version, d.hosts, d.roles], ['running', 'deploy', 'shop', 'v1', ['web-1'], ['web']]);
    const events = await follow(client, d.id);
    assert.deepEqual(events.at(-1), { ...events.at(-1), type: 'end', status: 'succeeded', exitCode: 0 });
    assert.deepEqual(agent.calls.map((c) => c.method), ['image.pull', 'proxy.boot', 'app.stale_containers', 'app.boot', 'image.tag', 'prune.all']);
    for (const c of agent.calls) assert.match(String(c.params.operationId), new RegExp(`^${d.id}\\.\\d+\\.\\d+\\.web-1$|^${d.id}\\.\\d+\\.web\\.web-1$`));
    const boot = agent.calls.find((c) => c.method === 'app.boot')!.params as { env: { secrets: Record<string, string> } };
    assert.deepEqual(boot.env.secrets, { DATABASE_PASSWORD: SECRET }, 'the agent gets the secret value');
    const says = events.flatMap((e) => (e.type === 'say' ? [e.text] : []));
    assert.deepEqual(says, ['Acquiring the deploy lock...', 'Ensure kamal-proxy is running...', 'Detect stale containers...', 'Start container with version v1 (or reboot if already running)...', 'First web container is healthy on web-1, booting any other roles', 'Prune old containers and images...', 'Releasing the deploy lock...']);
    const replay = [];
    for await (const e of client.followDeployment(d.id, 3)) replay.push(e);
    assert.equal(replay[0]!.index, 3);
    assert.deepEqual(replay.map((e) => e.event), events.slice(3));
    // A follower that prints only Kamal's lines asks without the step records; indexes stay those of the log.
    const lean = [];
    for await (const e of client.followDeployment(d.id, 0, { omitSteps: true })) lean.push(e);
    assert.ok(events.some((e) => e.type === 'step'));
    assert.deepEqual(lean.map((e) => e.event), events.filter((e) => e.type !== 'step'));
    assert.deepEqual(lean.map((e) => e.index), events.flatMap((e, i) => (e.type === 'step' ? [] : [i])));
    const detail = await client.deployment(d.id);
    assert.equal(detail.deployment.status, 'succeeded');
    assert.deepEqual(detail.steps.map((s) => `${s.kind}:${s.status}`), agent.calls.map((c) => `${c.method}:succeeded`));
    assert.equal(await client.lockStatus('shop'), null, 'the automatic lock is released');
    // Secrets at rest: only sealed. Nothing in the database files holds the value in clear.
    const files = readdirSync(join(dir, 'ctl')).filter((f) => f.startsWith('controller.db'));
    for (const f of files) assert.ok(!readFileSync(join(dir, 'ctl', f)).includes(SECRET), `${f} holds the secret in clear`);
    assert.ok(!JSON.stringify([events, detail]).includes(SECRET));
  });

  test('a failed boot ends the deployment failed with the agent\'s details, redacted, and releases the lock', async () => {
    agent.calls.length = 0;
    agent.behaviour['app.boot'] = { code: 'operation_failed', message: `shop-web-v2 on web-1 did not become healthy (env ${SECRET})`, details: { details: ['likely cause: the app crashed', `  DATABASE_PASSWORD=${SECRET}`], exitCode: 1 } };
    try {
      const d = await client.submitDeployment(request({ version: 'v2' }));
      const end = (await follow(client, d.id)).at(-1);
      assert.ok(end?.type === 'end');
      assert.deepEqual([end.status, end.exitCode], ['failed', 1]);
      assert.equal(end.error, 'web-1: shop-web-v2 on web-1 did not become healthy (env [REDACTED])');
      assert.deepEqual(end.details, ['likely cause: the app crashed', '  DATABASE_PASSWORD=[REDACTED]']);
      assert.ok(!agent.calls.some((c) => c.method === 'image.tag'), 'nothing after the failed boot');
      assert.equal(await client.lockStatus('shop'), null);
    } finally {
      delete agent.behaviour['app.boot'];
    }
  });

  test('hooks: the rollout waits for the operator\'s answer; a replay marks answered hooks settled', async () => {
    const d = await client.submitDeployment(request({ version: 'v1b', hooks: ['pre-deploy', 'post-deploy'] }));
    const seen: string[] = [];
    for await (const e of client.followDeployment(d.id)) {
      if (e.event.type !== 'hook') continue;
      seen.push(`${e.event.hook}@${agent.calls.filter((c) => String(c.params.operationId).startsWith(d.id)).map((c) => c.method).join(',')}`);
      await client.reportHook(d.id, e.event.step, { ok: true });
    }
    assert.deepEqual(seen, [
      'pre-deploy@image.pull',
      'post-deploy@image.pull,proxy.boot,app.stale_containers,app.boot,image.tag,prune.all',
    ]);
    assert.equal((await client.deployment(d.id)).deployment.status, 'succeeded');
    const replayed = [];
    for await (const e of client.followDeployment(d.id)) if (e.event.type === 'hook') replayed.push(e.event.settled);
    assert.deepEqual(replayed, [true, true]);
    await assert.rejects(client.reportHook(d.id, '3.hook', { ok: true }), /is not waiting for hook step 3.hook/);
  });

  test('refused before anything runs: bad config, missing secret, unknown or offline hosts; nothing recorded', async () => {
    const before = (await client.listDeployments({ limit: 100 })).length;
    const refusal = async (r: DeploymentRequest, message: RegExp, detail?: RegExp) => {
      await assert.rejects(client.submitDeployment(r), (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.match(e.message, message);
        if (detail) assert.ok(e.details.some((d) => detail.test(d)), e.details.join('\n'));
        return true;
      });
    };
    await refusal(request({ files: [{ name: 'config/deploy.yml', content: DEPLOY_YML.replace('servers:\n  web: [web-1]', 'servers:\n  web: web-1') }] }), /invalid configuration/, /^servers\/web: /);
    await refusal(request({ secrets: { KAMAL_REGISTRY_PASSWORD: 'x' } }), /Secret 'DATABASE_PASSWORD' not found/);
    await refusal(request({ files: [{ name: 'config/deploy.yml', content: DEPLOY_YML.replace('[web-1]', '[web-1, web-9]') }] }), /^controller: web-9: no enrolled agent has this name/);
    await refusal(request({ selection: { hosts: ['db*'] } }), /No --hosts match for db\*/);
    assert.equal((await client.listDeployments({ limit: 100 })).length, before);
  });

  test('the lock: a manual lock refuses deployments with Kamal\'s message; release lets them run', async () => {
    const lock = await client.acquireLock('shop', { message: 'maintenance window', holder: 'Ops' });
    assert.match(lock.status, /^Locked by: Ops at \S+\nVersion: \nMessage: maintenance window$/);
    await assert.rejects(client.acquireLock('shop', { message: 'again', holder: 'Other' }), /Deploy lock already in place!/);
    const d = await client.submitDeployment(request({ version: 'v3' }));
    const events = await follow(client, d.id);
    const end = events.at(-1);
    assert.ok(end?.type === 'end' && end.status === 'failed');
    assert.equal(end.error, "Deploy lock found. Run 'drover lock help' for more information");
    assert.ok(events.some((e) => e.type === 'say' && e.text === 'Deploy lock already in place!'));
    assert.equal((await client.lockStatus('shop'))?.message, 'maintenance window', 'a failed deployment does not release someone else\'s lock');
    assert.equal(await client.releaseLock('shop'), true);
    assert.equal(await client.releaseLock('shop'), false);
  });

  test('scopes: read reads, deploy deploys and locks, only admin enrolls or calls raw agent methods', async () => {
    const { client: reader } = await adminClient(ctl, 'read');
    const { client: deployer } = await adminClient(ctl, 'deploy');
    try {
      assert.ok(Array.isArray(await reader.listDeployments()));
      await assert.rejects(reader.submitDeployment(request()), (e: unknown) => e instanceof UserError && e.exitCode === 77 && /scope read; deploy is required/.test(e.message));
      await assert.rejects(reader.acquireLock('shop', { message: 'm', holder: 'h' }), /scope read; deploy is required/);
      await deployer.acquireLock('shop', { message: 'm', holder: 'h' });
      await deployer.releaseLock('shop');
      await assert.rejects(deployer.mintJoinToken({ name: 'x' }), /scope deploy; admin is required/);
      await assert.rejects(deployer.rpc('web-1', 'agent.ping', {}), /scope deploy; admin is required/); // per-method scopes: ops-transport.test.ts
      const d = await deployer.submitDeployment(request({ version: 'v4' }));
      assert.equal((await follow(deployer, d.id)).at(-1)?.type, 'end');
    } finally {
      await reader.close();
      await deployer.close();
    }
  });

  test('a controller killed mid-deployment: at restart the deployment is failed and its lock released', async () => {
    agent.behaviour['app.boot'] = 'hold';
    const d = await client.submitDeployment(request({ version: 'v5' }));
    await eventually(async () => (await client.lockStatus('shop'))?.deploymentId === d.id, 10_000, 'the deployment holding the lock');
    await eventually(() => agent.calls.some((c) => c.method === 'app.boot' && c.params.version === 'v5'), 10_000, 'the boot to start');
    await ctl.proc.stop('SIGKILL');
    agent.conn.close();
    await client.close();
    ctl = await startController(join(dir, 'ctl'), { port: ctl.port });
    ({ client } = await adminClient(ctl));
    const detail = await client.deployment(d.id);
    assert.equal(detail.deployment.status, 'failed');
    assert.match(detail.deployment.error ?? '', /controller stopped during this deployment/);
    assert.equal(await client.lockStatus('shop'), null, 'no stale lock');
    const end = (await follow(client, d.id)).at(-1);
    assert.ok(end?.type === 'end' && end.status === 'failed', 'followers see the end');
    delete agent.behaviour['app.boot'];
    agent = new FakeAgent();
    await agent.connect(ctl, identity);
    const next = await client.submitDeployment(request({ version: 'v6' }));
    assert.equal((await follow(client, next.id)).at(-1)?.type === 'end' && (await client.deployment(next.id)).deployment.status, 'succeeded');
  });
});
