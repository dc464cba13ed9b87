import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { UserError } from '@drover/shared';
import type { OperatorClient } from '../client/operator-client.js';
import type { DeploymentRequest } from '../server/deployments-api.js';
import { adminClient, eventually, removeDir, startController, tempDir, type ControllerProc } from './harness.js';
import { RawConn, enrollRaw, handshake } from './raw-agent.js';
import { SHOP_HEAD } from './shop-fixtures.js';

// Kamal's subcommands (`app stop`, `proxy reboot --rolling`, …) through the real HTTP API and a real controller
// process, against protocol-level agents: what each agent is asked to do, the lock, the events.

const DEPLOY_YML = `${SHOP_HEAD}servers:
  web: [web-1, web-2]
proxy:
  host: shop.test
accessories:
  db:
    image: postgres:16
    host: web-2
`;

function resultOf(method: string, host: string): unknown {
  switch (method) {
    case 'app.stop': return { containers: [`shop-web-v1`], messages: [] };
    case 'proxy.reboot': return { container: { id: `p-${host}`, name: 'kamal-proxy' }, image: 'basecamp/kamal-proxy:v0.9.2', action: 'created', messages: [`Rebooted kamal-proxy on ${host}`] };
    default: throw new Error(`unexpected ${method}`);
  }
}

/** Answers operations (optionally holding them until released) and records them in a log shared by the agents. */
class FakeAgent {
  readonly held: Array<() => void> = [];
  hold = new Set<string>();
  private conn!: RawConn;

  constructor(readonly name: string, private readonly log: string[]) {}

  async connect(ctl: ControllerProc, client: OperatorClient): Promise<void> {
    const { identity } = await enrollRaw(ctl.url, ctl.fingerprint, (await client.mintJoinToken({ name: this.name })).token);
    this.conn = new RawConn(ctl.url, ctl.fingerprint);
    await handshake(this.conn, identity!);
    assert.equal((await this.conn.next()).t, 'welcome');
    this.conn.ws.on('message', (data) => {
      const req = JSON.parse(data.toString()) as { t: string; id: string; method: string; params: Record<string, unknown> };
      if (req.t !== 'req') return;
      this.log.push(`${this.name} ${req.method} ${JSON.stringify(req.params)}`);
      const answer = () => this.conn.send({ t: 'res', id: req.id, ok: true, result: resultOf(req.method, this.name) });
      if (this.hold.has(req.method)) this.held.push(answer);
      else answer();
    });
  }

  close(): void {
    this.conn?.close();
  }
}

function request(over: Partial<DeploymentRequest>): DeploymentRequest {
  return { command: 'app stop', files: [{ name: 'config/deploy.yml', content: DEPLOY_YML }], version: 'v1', performer: 'ops@acme.test', lockHolder: 'Ops', ...over };
}

/** `host method` of each call, without params. */
const calls = (log: string[]) => log.map((l) => l.split(' ').slice(0, 2).join(' '));
const paramsOf = (line: string) => JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;

describe('subcommands through the controller (protocol-level agents)', () => {
  let dir: string;
  let ctl: ControllerProc;
  let client: OperatorClient;
  const log: string[] = [];
  const agents = [new FakeAgent('web-1', log), new FakeAgent('web-2', log)];

  before(async () => {
    dir = tempDir('subcommands');
    ctl = await startController(join(dir, 'ctl'));
    ({ client } = await adminClient(ctl));
    for (const a of agents) await a.connect(ctl, client);
  });
  after(async () => {
    for (const a of agents) a.close();
    await client?.close();
    await ctl?.proc.stop();
    if (dir) removeDir(dir);
  });

  test('app stop: each web host stops its role under the deploy lock, without any secret', async () => {
    log.length = 0;
    for (const a of agents) a.hold.add('app.stop');
    const d = await client.submitDeployment(request({ command: 'app stop' }));
    assert.deepEqual([d.command, d.status, d.hosts, d.roles], ['app stop', 'running', ['web-1', 'web-2'], ['web']]);
    await eventually(() => agents.every((a) => a.held.length === 1), 10_000, 'both stops to arrive');
    const lock = await client.lockStatus('shop');
    assert.deepEqual([lock?.deploymentId, lock?.automatic, lock?.message, lock?.holder], [d.id, true, 'Automatic deploy lock', 'Ops'], 'the lock is held while the agents work');
    for (const a of agents) { a.held.splice(0).forEach((answer) => answer()); a.hold.clear(); }

    const events = [];
    for await (const e of client.followDeployment(d.id)) events.push(e.event);
    assert.deepEqual(calls(log).sort(), ['web-1 app.stop', 'web-2 app.stop']);
    for (const line of log) {
      const p = paramsOf(line);
      assert.deepEqual({ ...p, operationId: undefined }, { service: 'shop', destination: null, performer: 'ops@acme.test', role: 'web', proxied: true, stopTimeout: null, operationId: undefined });
      assert.match(String(p.operationId), new RegExp(`^${d.id}\\.1\\.0\\.web-[12]$`));
    }
    assert.deepEqual(events.filter((e) => e.type === 'say'), [{ type: 'say', text: 'Acquiring the deploy lock...' }, { type: 'say', text: 'Releasing the deploy lock...' }]);
    assert.deepEqual(events.filter((e) => e.type === 'host').map((e) => e.type === 'host' && `${e.host}: ${e.text}`).sort(), ['web-1: stopped shop-web-v1', 'web-2: stopped shop-web-v1']);
    assert.deepEqual(events.filter((e) => e.type === 'step').map((e) => e.type === 'step' && `${e.host} ${e.op} ${e.status}`).sort(), [
      'web-1 app.stop running', 'web-1 app.stop succeeded', 'web-2 app.stop running', 'web-2 app.stop succeeded',
    ]);
    assert.deepEqual(events.at(-1), { ...events.at(-1), type: 'end', status: 'succeeded', exitCode: 0, error: null });
    assert.equal(await client.lockStatus('shop'), null, 'released at the end');
    assert.equal((await client.listDeployments({ service: 'shop', limit: 1 }))[0]?.command, 'app stop');
  });

  test('proxy reboot --rolling: one host at a time, pre/post-proxy-reboot hooks around each, the lock held throughout', async () => {
    log.length = 0;
    const d = await client.submitDeployment(request({
      command: 'proxy reboot', options: { rolling: true }, hooks: ['pre-proxy-reboot', 'post-proxy-reboot'],
      secrets: { KAMAL_REGISTRY_PASSWORD: 'reg-pw' },
    }));
    const seen: string[] = [];
    const events = [];
    for await (const e of client.followDeployment(d.id)) {
      events.push(e.event);
      if (e.event.type !== 'hook') continue;
      assert.equal((await client.lockStatus('shop'))?.deploymentId, d.id);
      seen.push(`${e.event.hook} ${e.event.hosts.join(',')} after [${calls(log).join(', ')}]`);
      await client.reportHook(d.id, e.event.step, { ok: true });
    }
    assert.deepEqual(seen, [
      'pre-proxy-reboot web-1 after []',
      'post-proxy-reboot web-1 after [web-1 proxy.reboot]',
      'pre-proxy-reboot web-2 after [web-1 proxy.reboot]',
      'post-proxy-reboot web-2 after [web-1 proxy.reboot, web-2 proxy.reboot]',
    ]);
    const p = paramsOf(log[0]!);
    assert.deepEqual({ ...p, operationId: undefined }, { service: 'shop', destination: null, performer: 'ops@acme.test', run: null, registry: null, operationId: undefined });
    assert.deepEqual(events.filter((e) => e.type === 'host').map((e) => e.type === 'host' && `${e.host}: ${e.text}`), ['web-1: kamal-proxy rebooted', 'web-2: kamal-proxy rebooted']);
    assert.deepEqual(events.filter((e) => e.type === 'hook_done').map((e) => e.type === 'hook_done' && `${e.hook} ${e.ok}`), [
      'pre-proxy-reboot true', 'post-proxy-reboot true', 'pre-proxy-reboot true', 'post-proxy-reboot true',
    ]);
    assert.deepEqual(events.at(-1), { ...events.at(-1), type: 'end', status: 'succeeded', exitCode: 0 });
    assert.equal(await client.lockStatus('shop'), null);
    assert.equal((await client.deployment(d.id)).deployment.command, 'proxy reboot');
  });

  test('refused before anything runs: unknown accessory, options the command does not take, retain below 1', async () => {
    const before = (await client.listDeployments({ limit: 100 })).length;
    const refused = (r: DeploymentRequest, message: RegExp) => assert.rejects(client.submitDeployment(r), (e: unknown) => e instanceof UserError && message.test(e.message));
    await refused(request({ command: 'accessory boot', options: { accessories: ['redis'] }, secrets: { KAMAL_REGISTRY_PASSWORD: 'x' } }), /No accessory by the name of 'redis' \(options: db\)/);
    await refused(request({ command: 'app stop', options: { rolling: true } }), /app stop does not take the option rolling/);
    await refused(request({ command: 'prune containers', options: { retain: 0 } }), /retain must be at least 1/);
    await refused(request({ command: 'app maintenance', options: { message: 'two\nlines' } }), /must be one line/);
    await refused(request({ command: 'proxy reboot' as never }), /Secret 'KAMAL_REGISTRY_PASSWORD' not found/);
    assert.equal((await client.listDeployments({ limit: 100 })).length, before);
  });
});
