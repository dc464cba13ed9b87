import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { Proc } from '@drover/controller/e2e/harness';
import { OperatorClient } from '@drover/controller/client/operator-client';
import { pinnedDispatcher } from '@drover/controller/e2e/undici-pinned';
import { ApiError, type AgentInventory } from '@drover/controller/server/operator-api';
import { UserError } from '@drover/shared';
import { OPERATOR_ADDRESS, Rig, waitFor, type RigHost } from '../rig/index.js';
import { agentOnHost, drover, freePort, serveController, type RigController } from './channel-procs.js';
import { httpGet } from './http-get.js';

const HOST = 'web-1';
const AGENT_DIR = '/root/.drover-agent';
// The agent's default run directory: Kamal's `.kamal` in its user's home (root's, inside the host).
const RUN_DIR = '/root/.kamal';

/**
 * The whole path a deploy takes: operator → controller (operator side, 10.253.0.1) → websocket out of a
 * NAT'd host → agent → the host's own dockerd and kamal-proxy, and back.
 */
describe('agent operations through the controller ⇄ agent channel (rig)', () => {
  let rig: Rig;
  let host: RigHost;
  let dir: string;
  let ctl: RigController;
  let token: string;
  let agent: Proc;
  let client: OperatorClient;
  let publicAddress: string;
  let v1: string; let v2: string; let broken: string; let proxyImage: string;
  let registry: { server: string; username: string; password: string };
  const scope = { service: 'sample-app', destination: null, performer: 'tester@example.com' };
  const proxyArgs = ['--deploy-timeout=6s', '--drain-timeout=2s', '--buffer-requests', '--buffer-responses'];
  const web = (version: string, image: string, extra: Record<string, unknown> = {}) => ({
    ...scope, role: 'web', version, image, host: HOST,
    env: { clear: { RAILS_ENV: 'production' }, secrets: { SECRET_KEY: 'not-in-argv' } },
    proxy: { appPort: 80, args: proxyArgs }, ...extra,
  });
  const records: Record<string, unknown> = {};

  const startAgent = async (): Promise<void> => {
    agent = agentOnHost(host, ['run', '--data-dir', AGENT_DIR]);
    await agent.waitFor(/info connected/, 20_000);
  };
  const version = async (): Promise<string> => {
    const r = await httpGet(`http://${publicAddress}/version`, 5_000);
    return r.status === 200 ? r.body.trim() : `HTTP ${r.status}`;
  };

  before(async () => {
    rig = await Rig.start({ hosts: [HOST] });
    host = rig.host(HOST);
    dir = mkdtempSync(join(tmpdir(), 'drover-rpc-ops-'));
    registry = { server: rig.registry.server, username: rig.registry.username, password: rig.registry.password };
    const images = Promise.all([
      rig.buildSampleApp({ version: 'v1' }), rig.buildSampleApp({ version: 'v2' }), rig.buildSampleApp({ version: 'v3', healthy: false }), rig.buildProxyImage(),
    ]);
    const port = await freePort(OPERATOR_ADDRESS);
    ctl = await serveController(OPERATOR_ADDRESS, port, join(dir, 'ctl'));
    const admin = await drover(['controller', 'token', 'create', '--scope', 'admin', '--data-dir', join(dir, 'ctl')]);
    assert.equal(admin.code, 0, admin.err);
    token = admin.out.trim();
    const env = { DROVER_CONFIG_DIR: join(dir, 'cfg'), DROVER_CONTROLLER: ctl.url, DROVER_TOKEN: token, DROVER_FINGERPRINT: ctl.fingerprint };
    const minted = await drover(['agents', 'token', '--name', HOST, '--json'], env);
    assert.equal(minted.code, 0, minted.err);
    const enroll = agentOnHost(host, ['enroll', '--data-dir', AGENT_DIR], { DROVER_JOIN_TOKEN: (JSON.parse(minted.out) as { token: string }).token });
    assert.equal(await enroll.exited, 0, enroll.all);
    await startAgent();
    client = new OperatorClient({ controller: ctl.url, token, fingerprint: ctl.fingerprint });
    [v1, v2, broken, proxyImage] = await images;
  });
  after(async () => {
    await client?.close();
    await agent?.stop('SIGKILL');
    await ctl?.proc.stop();
    await rig?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('registry.login through the controller: the registry\'s refusal, then success', async () => {
    await assert.rejects(client.rpc(HOST, 'registry.login', { registry: { ...registry, password: 'wrong' } }), /controller: docker login .* failed on web-1: .*(unauthorized|401)/i);
    const ok = (await client.rpc(HOST, 'registry.login', { registry })) as { status: string };
    assert.match(ok.status, /Login Succeeded/);
  });

  test('image.pull streams Docker\'s progress back through the controller', async () => {
    for (const [image, v] of [[v1, 'v1'], [v2, 'v2'], [broken, 'v3']] as const) {
      const { result, output } = await client.rpcStream(HOST, 'image.pull', { ...scope, image, version: v, registry, operationId: `pull-${v}` }, Buffer.alloc(0), { timeoutMs: 120_000 });
      assert.match((result as { imageId: string }).imageId, /^sha256:/);
      assert.match(output.toString(), /Pulling from drover\/sample-app|Pull complete|Status: /);
    }
    assert.equal((await host.docker.getImage(v2).inspect()).Config.Labels?.service, 'sample-app', 'pulled into the host\'s own dockerd');
  });

  test('proxy.boot, then app.boot v1 and v2 behind kamal-proxy: the host\'s published port 80 serves v2', async () => {
    const proxy = (await client.rpc(HOST, 'proxy.boot', { ...scope, run: { image: proxyImage }, registry, operationId: 'proxy-boot-1' }, 120_000)) as { action: string };
    assert.equal(proxy.action, 'created');
    publicAddress = await host.publish([80]);

    const first = (await client.rpc(HOST, 'app.boot', { ...web('v1', v1), operationId: 'boot-v1' }, 120_000)) as { status: string; container: { name: string } };
    assert.deepEqual([first.container.name, first.status], ['sample-app-web-v1', 'healthy']);
    assert.equal(await version(), 'v1');

    const { result, output } = await client.rpcStream(HOST, 'app.boot', { ...web('v2', v2), operationId: 'boot-v2' }, Buffer.alloc(0), { timeoutMs: 120_000 });
    records['boot-v2'] = result;
    const second = result as { oldVersion: string; stopped: string[]; container: { id: string } };
    assert.equal(second.oldVersion, 'v1');
    assert.deepEqual(second.stopped, ['sample-app-web-v1']);
    assert.match(output.toString(), /Deploying sample-app-web to kamal-proxy \(target [0-9a-f]{12}:80\)/);
    assert.equal(await version(), 'v2');
    // The env file is under the agent's default run directory, 0600; the secret is not in the container's argv.
    assert.equal((await host.exec(['busybox', 'stat', '-c', '%a', `${RUN_DIR}/apps/sample-app/env/roles/web.env`])).stdout.trim(), '600');
    const c = await host.docker.getContainer('sample-app-web-v2').inspect();
    assert.ok(!JSON.stringify([c.Args, c.Config.Cmd, c.Config.Labels]).includes('not-in-argv'));
  });

  test('an unhealthy v3 fails with kamal-proxy\'s error while v2 keeps serving; the operator sees its last logs and health', async () => {
    // v3 prints a line at start (with its secret, as careless apps do) before serving without /up.
    const cmd = ['sh', '-c', 'echo "v3 starting, key=$SECRET_KEY"; exec httpd -f -p 80 -h /www'];
    records['boot-v3 params'] = { ...web('v3', broken, { cmd, proxy: { appPort: 80, args: ['--deploy-timeout=3s', '--drain-timeout=1s'] } }), operationId: 'boot-v3' };
    const failing = client.rpc(HOST, 'app.boot', records['boot-v3 params'], 120_000);
    failing.catch(() => undefined);
    // While the gate waits, traffic still goes to v2.
    const during = await waitFor('v3 container started', async () => (await host.docker.listContainers({ filters: JSON.stringify({ name: ['^sample-app-web-v3$'] }) })).length > 0 || undefined);
    assert.ok(during);
    assert.equal(await version(), 'v2');
    await assert.rejects(failing, (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /^controller: sample-app-web-v3 on web-1 did not become healthy: target failed to become healthy within configured timeout \((3s|3000ms)\)$/);
      assert.equal(e.exitCode, 1);
      const at = e.details.indexOf('last log lines of sample-app-web-v3:');
      assert.ok(at > 0, e.details.join('\n'));
      assert.ok(e.details.slice(at).includes('  v3 starting, key=[REDACTED]'), e.details.join('\n'));
      // Docker's health record of the image's own HEALTHCHECK (wget of /up, which v3 lacks).
      const health = e.details.find((d) => d.startsWith('docker health: '));
      assert.match(health ?? '', /^docker health: (starting|unhealthy)/);
      assert.equal(e.details.at(-1), 'sample-app-web-v3 was stopped; v2 keeps serving');
      assert.ok(!JSON.stringify([e.message, e.details]).includes('not-in-argv'), 'the secret env value is redacted');
      return true;
    });
    assert.equal((await host.docker.getContainer('sample-app-web-v3').inspect()).State.Running, false, 'the new container is stopped');
    assert.equal(await version(), 'v2');
  });

  test('a failing boot never shows a secret env value in the error body, though the container printed it', async () => {
    // A role without the proxy, gated by the readiness poller: the container prints its env and exits.
    const params = {
      ...web('v9', v1, { proxy: null, deployTimeout: 3, readinessDelay: 0, cmd: ['sh', '-c', 'echo "jobs env: SECRET_KEY=$SECRET_KEY REGISTRY=$REGISTRY_PASSWORD"; env; exit 1'] }),
      role: 'jobs', env: { clear: { RAILS_ENV: 'production' }, secrets: { SECRET_KEY: 'not-in-argv', REGISTRY_PASSWORD: registry.password } },
    };
    const res = await request(`${ctl.url}/v1/agents/${HOST}/rpc`, {
      method: 'POST', dispatcher: pinnedDispatcher(ctl.fingerprint),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'app.boot', params, timeoutMs: 60_000 }),
    });
    const text = await res.body.text();
    assert.equal(res.statusCode, 502, text);
    for (const secret of ['not-in-argv', registry.password]) assert.ok(!text.includes(secret), `the secret ${secret} leaked: ${text}`);
    const body = ApiError.parse(JSON.parse(text));
    assert.equal(body.error.code, 'operation_failed');
    assert.match(body.error.message, /^sample-app-jobs-v9 on web-1 did not become healthy: container not ready after 3 seconds \((exited|starting|unhealthy)\)$/);
    assert.ok(body.error.details?.includes('  jobs env: SECRET_KEY=[REDACTED] REGISTRY=[REDACTED]'), body.error.details?.join('\n'));
    assert.ok(body.error.details?.includes('  SECRET_KEY=[REDACTED]'), 'the `env` dump too');
    assert.ok(body.error.details?.includes('  RAILS_ENV=production'), 'clear values are not secrets');
    assert.equal(body.error.exitCode, 1);
  });

  test('after the agent restarts, retries of the same operation ids return the recorded outcomes without running again', async () => {
    const before = (await host.docker.listContainers({ all: true })).map((c) => c.Id).sort();
    const audit = (await host.exec(['cat', `${RUN_DIR}/sample-app-audit.log`])).stdout;
    await agent.stop('SIGTERM');
    await startAgent();
    await waitFor('agent online again', async () => (await client.listAgents()).find((a) => a.name === HOST && a.online) || undefined);

    const retried = await client.rpcStream(HOST, 'app.boot', { ...web('v2', v2), operationId: 'boot-v2' }, Buffer.alloc(0), { timeoutMs: 120_000 });
    assert.deepEqual(retried.result, records['boot-v2']);
    assert.equal(retried.output.length, 0, 'nothing ran, so nothing streamed');
    // The same call again (a retry must send the same params): the recorded failure, nothing run.
    await assert.rejects(client.rpc(HOST, 'app.boot', records['boot-v3 params'], 120_000), /controller: sample-app-web-v3 on web-1 did not become healthy: .*target failed to become healthy/);
    await assert.rejects(client.rpc(HOST, 'app.boot', { ...web('v3', broken), operationId: 'boot-v3' }, 120_000), /controller: operation boot-v3 was already used for app\.boot with other params/);
    await assert.rejects(client.rpc(HOST, 'app.stop', { ...scope, role: 'web', operationId: 'boot-v2' }), /controller: operation boot-v2 was already used for app\.boot, not app\.stop/);
    assert.deepEqual((await host.docker.listContainers({ all: true })).map((c) => c.Id).sort(), before, 'no container was created or removed');
    assert.equal((await host.exec(['cat', `${RUN_DIR}/sample-app-audit.log`])).stdout, audit, 'nothing was audited again');
    assert.equal(await version(), 'v2');
  });

  test('the controller holds the agent\'s inventory: v2 running, the proxy, and a container Kamal deployed earlier', async () => {
    // What `kamal deploy` leaves for a role without the proxy: Kamal's name and labels (bare destination).
    await host.docker.createContainer({
      name: 'sample-app-workers-v1', Image: v1, Labels: { service: 'sample-app', role: 'workers', destination: '' }, HostConfig: { NetworkMode: 'kamal' },
    }).then((c) => c.start());
    // A container started outside the agent reaches the controller through Docker's events.
    const inv = await waitFor('inventory with the workers container', async () => {
      const i = await client.inventory(HOST);
      return i.inventory.managed?.containers.some((c) => c.name === 'sample-app-workers-v1' && c.state === 'running') ? i : undefined;
    });
    const managed = inv.inventory.managed!;
    const pick = (name: string) => {
      const c = managed.containers.find((x) => x.name === name);
      return c && { kind: c.kind, service: c.service, role: c.role, destination: c.destination, version: c.version, state: c.state };
    };
    assert.deepEqual(pick('sample-app-web-v2'), { kind: 'app', service: 'sample-app', role: 'web', destination: null, version: 'v2', state: 'running' });
    assert.equal(managed.containers.find((c) => c.name === 'sample-app-web-v2')!.health, 'healthy');
    assert.deepEqual(pick('sample-app-web-v1'), { kind: 'app', service: 'sample-app', role: 'web', destination: null, version: 'v1', state: 'exited' });
    assert.deepEqual(pick('sample-app-workers-v1'), { kind: 'app', service: 'sample-app', role: 'workers', destination: null, version: 'v1', state: 'running' });
    assert.equal(managed.proxy?.name, 'kamal-proxy');
    assert.equal(managed.proxy?.state, 'running');
    assert.equal(inv.inventory.hostname, HOST);

    // On every (re)connect too: after a restart the controller has it again without any change.
    await agent.stop('SIGTERM');
    await waitFor('agent offline', async () => (await client.listAgents()).find((a) => a.name === HOST && !a.online) || undefined);
    await startAgent();
    const again = await waitFor('inventory after reconnect', async () => (await client.inventory(HOST).catch(() => undefined)) as AgentInventory | undefined);
    assert.ok(again.inventory.managed?.containers.some((c) => c.name === 'sample-app-web-v2' && c.state === 'running'));

    // A change made through the agent is reported too: the workers role stopped.
    await client.rpc(HOST, 'app.stop', { ...scope, role: 'workers', operationId: 'stop-workers-1' });
    await waitFor('inventory with the workers container exited', async () => {
      const i = await client.inventory(HOST);
      return i.inventory.managed?.containers.some((c) => c.name === 'sample-app-workers-v1' && c.state === 'exited') ? i : undefined;
    });
  });
  test('asset_path: assets of the old and new version are bridged through the volume, then the old ones are cleaned up', async () => {
    const assets = (v: string, image: string) => ({
      ...web(v, image), role: 'assets', assetPath: '/www:ro', proxy: { appPort: 80, args: ['--host=assets.test', '--deploy-timeout=6s', '--drain-timeout=1s'] },
    });
    const get = async (path: string) => (await host.exec(['busybox', 'wget', '-q', '-O', '-', '--header', 'Host: assets.test', `http://127.0.0.1${path}`], { check: false })).stdout.trim();
    const dirOf = `${RUN_DIR}/apps/sample-app/assets`;
    await client.rpc(HOST, 'app.boot', { ...assets('v1', v1), operationId: 'assets-v1' }, 120_000);
    assert.equal(await get('/version'), 'v1');
    const c1 = await host.docker.getContainer('sample-app-assets-v1').inspect();
    assert.ok(c1.HostConfig.Binds?.includes(`${dirOf}/volumes/assets-v1:/www:ro`), JSON.stringify(c1.HostConfig.Binds));
    assert.equal((await host.exec(['cat', `${dirOf}/extracted/assets-v1/version`])).stdout, 'v1\n');

    // v3 has no /up of its own: kamal-proxy's health check passes only because v1's file was bridged into v3's volume.
    const r = (await client.rpc(HOST, 'app.boot', { ...assets('v3', broken), operationId: 'assets-v3' }, 120_000)) as { status: string; stopped: string[] };
    assert.deepEqual([r.status, r.stopped], ['healthy', ['sample-app-assets-v1']]);
    assert.equal(await get('/version'), 'v3', 'the new version\'s own files win');
    assert.equal(await get('/up'), 'OK', 'the old version\'s file is served by the new container');
    assert.equal((await host.exec(['ls', `${dirOf}/volumes`])).stdout.trim(), 'assets-v3', 'the old version\'s volume is cleaned up');
    assert.equal((await host.exec(['ls', `${dirOf}/extracted`])).stdout.trim(), 'assets-v3');
    assert.equal((await host.docker.listContainers({ all: true, filters: JSON.stringify({ name: ['^sample-app-assets-assets$'] }) })).length, 0, 'the extraction container is gone');
  });
});
