import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOperations, runOperation, type Operation, type OperationContext } from '@drover/agent/ops/index';
import { execCapture } from '@drover/agent/ops/exec-capture';
import { loadConfig, kamalProxyDeployArgv, type ResolvedAccessory } from '@drover/shared/config';
import { Rig, waitFor, type RigHost } from '../rig/index.js';

const HOST = 'web-1';

/** A Kamal deploy.yml with a proxied accessory only (Kamal's `app_with_proxied_accessory`: no servers). */
function deployYml(registryServer: string, image: string): string {
  return `service: sample-app
image: drover/sample-app
registry:
  server: ${registryServer}
  username: drover
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
accessories:
  echo:
    image: ${image}
    host: ${HOST}
    proxy:
      host: echo.test
      response_timeout: 10
      healthcheck:
        path: /up
        interval: 1
`;
}

/** The executor in this process against the rig host's own dockerd. */
function harness(host: RigHost, runDirectory: string) {
  const ops = createOperations({ docker: host.docker, runDirectory, host: host.name, log: { info() {}, warn() {}, error() {} }, hostEnv: {} });
  return async (method: string, params: unknown): Promise<{ result: any; output: string }> => {
    let output = '';
    const ctx: OperationContext = { signal: new AbortController().signal, operationId: randomUUID(), emit: (c) => { output += c.toString(); } };
    return { result: await runOperation(ops as Record<string, Operation>, method, params, ctx), output };
  };
}

/**
 * Every command the daemon ran inside kamal-proxy since `since` (epoch seconds): Docker's own record,
 * the `exec_start: <argv joined by spaces>` events (exec instances themselves are dropped once they exit).
 */
async function proxyExecs(host: RigHost, since: number): Promise<string[]> {
  const stream = await host.docker.getEvents({ since, until: Math.ceil(Date.now() / 1000) + 1, filters: { container: ['kamal-proxy'], event: ['exec_start'] } });
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { Action: string }).Action.replace(/^exec_start: /, ''));
}

/** `docker exec kamal-proxy kamal-proxy list` */
async function proxyList(host: RigHost): Promise<string> {
  const r = await execCapture(host.docker, 'kamal-proxy', ['kamal-proxy', 'list']);
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout;
}

async function viaProxy(host: RigHost, hostHeader: string, path = '/version'): Promise<string> {
  const r = await host.exec(['busybox', 'wget', '-q', '-S', '-O', '-', '--header', `Host: ${hostHeader}`, `http://127.0.0.1${path}`], { check: false, timeoutMs: 10_000 });
  return r.code === 0 ? r.stdout.trim() : (/HTTP\/1\.1 (\d{3})/.exec(r.stderr)?.[1] ?? `ERROR ${r.stderr.trim()}`);
}

describe('a proxied accessory through kamal-proxy (compat proxy in a rig host, real dockerd)', () => {
  let rig: Rig;
  let host: RigHost;
  let home: string;
  let call: ReturnType<typeof harness>;
  let accessory: ResolvedAccessory;
  let bootParams: Record<string, unknown>;
  const scope = { service: 'sample-app', destination: null, performer: 'tester' };

  before(async () => {
    rig = await Rig.start({ hosts: [HOST] });
    host = rig.host(HOST);
    home = mkdtempSync(join(tmpdir(), 'drover-acc-proxy-'));
    call = harness(host, join(home, '.kamal'));
    const registry = { server: rig.registry.server, username: rig.registry.username, password: rig.registry.password };
    const [v1, proxyImage] = await Promise.all([rig.buildSampleApp({ version: 'v1' }), rig.buildProxyImage()]);
    // The controller's part: resolve deploy.yml, then send the accessory's resolved settings.
    mkdirSync(join(home, 'project/config'), { recursive: true });
    writeFileSync(join(home, 'project/config/deploy.yml'), deployYml(rig.registry.server, v1));
    const config = await loadConfig({ cwd: join(home, 'project'), version: 'v1', env: { KAMAL_REGISTRY_PASSWORD: registry.password } });
    accessory = config.accessories.find((a) => a.name === 'echo')!;
    const proxy = accessory.proxy!;
    bootParams = {
      ...scope, name: accessory.name, accessoryService: accessory.service, image: accessory.image, registry, host: HOST,
      proxy: { appPort: proxy.appPort, args: kamalProxyDeployArgv(accessory.service, proxy, 'TARGET').slice(4) },
    };
    await call('proxy.boot', { ...scope, run: { image: proxyImage }, registry });
    await waitFor('kamal-proxy answering', async () => (await host.exec(['busybox', 'wget', '-q', '-O', '-', 'http://127.0.0.1/'], { check: false })).stderr.includes('404') || undefined, 30_000);
  });
  after(async () => {
    await rig?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('accessory.boot runs `kamal-proxy deploy <service>-<accessory>` with Kamal\'s argv, and it serves through the proxy', async () => {
    assert.equal(accessory.service, 'sample-app-echo');
    const started = Math.floor(Date.now() / 1000) - 1;
    const { result, output } = await call('accessory.boot', bootParams);
    assert.equal(result.action, 'created');
    assert.deepEqual(result.messages, ['Deployed sample-app-echo to kamal-proxy']);
    const id = (await host.docker.getContainer('sample-app-echo').inspect()).Id.slice(0, 12);
    assert.match(output, new RegExp(`^Deploying sample-app-echo to kamal-proxy \\(target ${id}:80\\)\\.\\.\\.$`, 'm'));

    // What the daemon ran inside kamal-proxy: Kamal's argv for this accessory, byte for byte.
    const deploys = (await proxyExecs(host, started)).filter((cmd) => cmd.startsWith('kamal-proxy deploy '));
    assert.deepEqual(deploys, [kamalProxyDeployArgv('sample-app-echo', accessory.proxy!, id).join(' ')]);
    assert.deepEqual(deploys[0]!.split(' '), [
      'kamal-proxy', 'deploy', 'sample-app-echo', `--target=${id}:80`, '--host=echo.test', '--deploy-timeout=30s', '--drain-timeout=30s',
      '--health-check-interval=1s', '--health-check-path=/up', '--target-timeout=10s', '--buffer-requests', '--buffer-responses',
      '--log-request-header=Cache-Control', '--log-request-header=Last-Modified', '--log-request-header=User-Agent',
    ]);
    assert.match(await proxyList(host), new RegExp(`^sample-app-echo\\s+echo\\.test\\s+/\\s+${id}:80\\s+running\\s+no$`, 'm'));

    assert.equal(await viaProxy(host, 'echo.test'), 'v1');
    assert.equal(await viaProxy(host, 'other.test'), '404', 'only its host is routed to it');
  });

  test('stop removes it from the proxy (404); start and restart deploy it again (200), as Kamal does', async () => {
    const acc = { ...scope, name: accessory.name, accessoryService: accessory.service, proxy: bootParams.proxy };
    await call('accessory.stop', acc);
    assert.equal(await viaProxy(host, 'echo.test'), '404');
    const started = await call('accessory.start', acc);
    assert.deepEqual(started.result.messages, ['Deployed sample-app-echo to kamal-proxy']);
    assert.equal(await viaProxy(host, 'echo.test'), 'v1');
    await call('accessory.restart', acc);
    assert.equal(await viaProxy(host, 'echo.test'), 'v1');
  });

  test('accessory.remove removes it from kamal-proxy too', async () => {
    const started = Math.floor(Date.now() / 1000) - 1;
    await call('accessory.remove', { ...scope, name: accessory.name, accessoryService: accessory.service, proxied: true });
    assert.equal((await host.docker.listContainers({ all: true, filters: JSON.stringify({ name: ['^sample-app-echo$'] }) })).length, 0);
    // (events have one-second resolution, so the restart's deploy may show up too)
    assert.deepEqual((await proxyExecs(host, started)).filter((cmd) => cmd.startsWith('kamal-proxy remove')), ['kamal-proxy remove sample-app-echo']);
    assert.equal(await viaProxy(host, 'echo.test'), '404');
    assert.doesNotMatch(await proxyList(host), /sample-app-echo/, 'kamal-proxy no longer knows the service');
  });
});
