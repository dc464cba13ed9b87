import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOperations, runOperation, type Operation, type OperationContext } from '@drover/agent/ops/index';
import { Rig, type RigHost } from '../rig/index.js';

/** The executor in this process against web-1's own dockerd; output collected per call. */
function harness(host: RigHost, runDirectory: string, hostEnv: NodeJS.ProcessEnv = {}) {
  const ops = createOperations({ docker: host.docker, runDirectory, host: host.name, log: { info() {}, warn() {}, error() {} }, hostEnv });
  return {
    ops,
    async call(method: string, params: unknown, operationId = randomUUID()): Promise<{ result: any; output: string }> {
      let output = '';
      const ctx: OperationContext = { signal: new AbortController().signal, operationId, emit: (c) => { output += c.toString(); } };
      const result = await runOperation(ops as Record<string, Operation>, method, params, ctx);
      return { result, output };
    },
  };
}

async function httpOnHost(host: RigHost, path: string, hostHeader?: string): Promise<string> {
  const args = ['busybox', 'wget', '-q', '-O', '-', ...(hostHeader ? ['--header', `Host: ${hostHeader}`] : []), `http://127.0.0.1${path}`];
  const r = await host.exec(args, { check: false, timeoutMs: 10_000 });
  return r.code === 0 ? r.stdout.trim() : `ERROR ${r.stderr.trim()}`;
}

describe('agent operations: pull, proxy, app boot against a real dockerd', () => {
  let rig: Rig;
  let host: RigHost;
  let runDir: string;
  let h: ReturnType<typeof harness>;
  let v1: string; let v2: string; let broken: string; let proxyImage: string;
  let registry: { server: string; username: string; password: string };
  const scope = { service: 'sample-app', destination: null, performer: 'tester@example.com' };
  const proxyArgs = ['--deploy-timeout=6s', '--drain-timeout=2s', '--buffer-requests', '--buffer-responses', '--log-request-header=Cache-Control', '--log-request-header=Last-Modified', '--log-request-header=User-Agent'];
  const web = (version: string, image: string, extra: Record<string, unknown> = {}) => ({
    ...scope, role: 'web', version, image, latestImage: null,
    env: { clear: { RAILS_ENV: 'production', TOKEN_FROM_HOST: '${HOST_TOKEN}', LITERAL: '$HOME' }, secrets: { SECRET_KEY: 'p@ss "quoted" #{x}\nline2', UNICODE: 'héllo' } },
    labels: { team: 'blue' }, proxy: { appPort: 80, args: proxyArgs }, ...extra,
  });

  before(async () => {
    rig = await Rig.start({ hosts: ['web-1'] });
    host = rig.host('web-1');
    runDir = join(mkdtempSync(join(tmpdir(), 'drover-ops-')), '.kamal');
    h = harness(host, runDir, { HOST_TOKEN: 'abcd' });
    registry = { server: rig.registry.server, username: rig.registry.username, password: rig.registry.password };
    [v1, v2, broken, proxyImage] = await Promise.all([
      rig.buildSampleApp({ version: 'v1' }), rig.buildSampleApp({ version: 'v2' }), rig.buildSampleApp({ version: 'v3', healthy: false }), rig.buildProxyImage(),
    ]);
  });
  after(async () => {
    await rig?.stop();
    if (runDir) rmSync(join(runDir, '..'), { recursive: true, force: true });
  });

  test('registry.login refuses a wrong password with the registry\'s words, and accepts the right one', async () => {
    await assert.rejects(h.call('registry.login', { registry: { ...registry, password: 'wrong' } }), /docker login .* failed on web-1: .*(unauthorized|401)/i);
    const { result } = await h.call('registry.login', { registry });
    assert.match(result.status, /Login Succeeded/);
  });

  test('image.pull streams progress, checks the service label, and names a missing image', async () => {
    await assert.rejects(h.call('image.pull', { ...scope, image: `${rig.registry.server}/drover/absent:1`, version: '1', registry }), /docker pull .*drover\/absent:1 failed on web-1: .*(not found|manifest unknown)/i);
    await assert.rejects(h.call('image.pull', { ...scope, image: v1, version: 'v1', registry: { ...registry, password: 'nope' } }), /failed on web-1: .*(unauthorized|401)/i);
    await assert.rejects(h.call('image.pull', { ...scope, service: 'other-app', image: v1, version: 'v1', registry }), /Image .*sample-app:v1 is missing the 'service' label/);
    for (const image of [v1, v2, broken]) {
      const { result, output } = await h.call('image.pull', { ...scope, image, version: 'x', registry });
      assert.match(result.imageId, /^sha256:/);
      assert.match(output, /Pull complete|Already exists|Downloaded newer image|Status: /);
    }
    const tag = await h.call('image.tag', { ...scope, image: v2, tag: v2.replace(/:v2$/, ':latest') });
    assert.equal((await host.docker.getImage(tag.result.tag).inspect()).Id, (await host.docker.getImage(v2).inspect()).Id);
  });

  test('app.boot without a proxy container fails with Docker\'s message and stops the new container', async () => {
    await assert.rejects(h.call('app.boot', web('v1', v1)), (e: Error & { details?: string[] }) => {
      assert.match(e.message, /sample-app-web-v1 on web-1 did not become healthy: No such container: kamal-proxy/);
      assert.ok(e.details?.some((d) => /was stopped/.test(d)));
      return true;
    });
    const c = await host.docker.getContainer('sample-app-web-v1').inspect();
    assert.equal(c.State.Running, false);
  });

  test('proxy.boot runs kamal-proxy as Kamal does; an old proxy is refused with Kamal\'s message; reboot replaces it', async () => {
    const run = { image: proxyImage };
    const old = proxyImage.replace(/:v0\.9\.2$/, ':v0.8.7');
    // A proxy left by an old Kamal: same container name, older tag.
    await h.call('image.pull', { ...scope, image: proxyImage, version: 'v0.9.2', registry, checkServiceLabel: false });
    await host.docker.getImage(proxyImage).tag({ repo: old.slice(0, old.lastIndexOf(':')), tag: 'v0.8.7' });
    await host.docker.createContainer({ name: 'kamal-proxy', Image: old, Cmd: ['kamal-proxy', 'run'] });
    await assert.rejects(h.call('proxy.boot', { ...scope, run, registry }), { message: 'kamal-proxy version v0.8.7 is too old, run `kamal proxy reboot` in order to update to at least v0.9.2' });

    const { result } = await h.call('proxy.reboot', { ...scope, run, registry });
    assert.equal(result.action, 'created');
    const info = await host.docker.getContainer('kamal-proxy').inspect();
    assert.equal(info.Config.Image, proxyImage);
    assert.deepEqual(info.Config.Cmd, ['kamal-proxy', 'run']);
    assert.equal(info.HostConfig.NetworkMode, 'kamal');
    assert.equal(info.HostConfig.RestartPolicy?.Name, 'unless-stopped');
    assert.deepEqual(info.HostConfig.Binds, ['kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy', `${runDir}/proxy/apps-config:/home/kamal-proxy/.apps-config`]);
    assert.deepEqual(info.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '80' }], '443/tcp': [{ HostIp: '', HostPort: '443' }] });
    assert.deepEqual(info.HostConfig.LogConfig?.Config, { 'max-size': '10m' });
    assert.equal(statSync(join(runDir, 'proxy/apps-config')).isDirectory(), true);

    const again = await h.call('proxy.boot', { ...scope, run, registry });
    assert.equal(again.result.action, 'running', 'an existing proxy is not reconfigured');
    const details = await h.call('proxy.details', scope);
    assert.equal(details.result.version, 'v0.9.2');
    assert.equal(details.result.state, 'running');
  });

  test('app.boot: Kamal names, labels, env and env file; kamal-proxy health gate; the old version is stopped', async () => {
    const first = await h.call('app.boot', web('v1', v1));
    assert.equal(first.result.container.name, 'sample-app-web-v1');
    assert.match(first.result.renamed, /^sample-app-web-v1_replaced_[0-9a-f]{16}$/, 'the failed v1 container from before is renamed');
    assert.equal(first.result.status, 'healthy');
    assert.equal(await httpOnHost(host, '/version'), 'v1');

    const c = await host.docker.getContainer('sample-app-web-v1').inspect();
    assert.deepEqual({ service: c.Config.Labels.service, role: c.Config.Labels.role, destination: c.Config.Labels.destination, team: c.Config.Labels.team }, { service: 'sample-app', role: 'web', destination: '', team: 'blue' });
    assert.match(c.Config.Hostname, /^web-1-[0-9a-f]{12}$/);
    assert.equal(c.HostConfig.NetworkMode, 'kamal');
    assert.equal(c.HostConfig.RestartPolicy?.Name, 'unless-stopped');
    assert.deepEqual(c.HostConfig.LogConfig?.Config, { 'max-size': '10m' });
    assert.deepEqual(c.Config.Env.filter((e) => !e.startsWith('PATH=')), [
      'SECRET_KEY=p@ss "quoted" #{x}\\nline2', 'UNICODE=héllo',
      'KAMAL_CONTAINER_NAME=sample-app-web-v1', 'KAMAL_VERSION=v1', 'KAMAL_HOST=web-1',
      'RAILS_ENV=production', 'TOKEN_FROM_HOST=abcd', 'LITERAL=$HOME',
    ]);
    const envFile = join(runDir, 'apps/sample-app/env/roles/web.env');
    assert.equal(statSync(envFile).mode & 0o777, 0o600);
    assert.equal(readFileSync(envFile, 'utf8'), 'SECRET_KEY=p@ss "quoted" #{x}\\nline2\nUNICODE=héllo\n');
    // What a host sees: the file is there for the host's own processes too.
    assert.equal((await host.exec(['cat', envFile])).stdout, readFileSync(envFile, 'utf8'));
    assert.ok(!JSON.stringify(c.Config.Labels).includes('p@ss'), 'secrets never in labels');

    const second = await h.call('app.boot', web('v2', v2));
    assert.equal(second.result.oldVersion, 'v1');
    assert.deepEqual(second.result.stopped, ['sample-app-web-v1']);
    assert.equal(await httpOnHost(host, '/version'), 'v2');
    assert.equal((await host.docker.getContainer('sample-app-web-v1').inspect()).State.Running, false);

    const audit = readFileSync(join(runDir, 'sample-app-audit.log'), 'utf8').trim().split('\n');
    assert.match(audit.at(-1)!, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[tester@example\.com\] \[web\] Booted app version v2$/);
  });

  test('an unhealthy version fails the kamal-proxy gate: logs and health returned, it is stopped, the old one keeps serving', async () => {
    await assert.rejects(h.call('app.boot', web('v3', broken, { proxy: { appPort: 80, args: ['--deploy-timeout=3s', '--drain-timeout=1s'] } })), (e: Error & { details: string[] }) => {
      assert.match(e.message, /^sample-app-web-v3 on web-1 did not become healthy: target failed to become healthy within configured timeout/);
      // The failure explains itself: what /up answered, the container, Docker's health, the likely cause.
      assert.ok(e.details.some((d) => /^health check: GET \/up on port 80 answered 404 Not Found in \d+ ms/.test(d)), e.details.join('\n'));
      assert.ok(e.details.includes('container: running'), e.details.join('\n'));
      assert.ok(e.details.some((d) => /^docker health: (starting|unhealthy)/.test(d)), e.details.join('\n'));
      assert.ok(e.details.includes('likely cause: the app has no route at /up: add one, or point proxy.healthcheck.path at a route that answers 200'), e.details.join('\n'));
      assert.ok(e.details.includes('sample-app-web-v3 was stopped; v2 keeps serving'), e.details.join('\n'));
      return true;
    });
    assert.equal((await host.docker.getContainer('sample-app-web-v3').inspect()).State.Running, false);
    assert.equal(await httpOnHost(host, '/version'), 'v2');
  });

  test('re-booting the running version renames it _replaced_ and stops it after the new one is healthy', async () => {
    const { result } = await h.call('app.boot', web('v2', v2));
    assert.match(result.renamed, /^sample-app-web-v2_replaced_[0-9a-f]{16}$/);
    assert.equal(result.oldVersion, result.renamed.slice('sample-app-web-'.length));
    assert.deepEqual(result.stopped, [result.renamed]);
    assert.equal(await httpOnHost(host, '/version'), 'v2');
  });

  test('maintenance and live go through kamal-proxy stop/resume', async () => {
    await h.call('app.maintenance', { ...scope, role: 'web', drainTimeout: 1, message: 'Back soon' });
    assert.match(await httpOnHost(host, '/version'), /ERROR .*503/);
    await h.call('app.live', { ...scope, role: 'web' });
    assert.equal(await httpOnHost(host, '/version'), 'v2');
  });

  test('roles without the proxy use the readiness poller: Docker health decides, with Kamal\'s timeout message', async () => {
    const workers = (version: string, image: string, deployTimeout: number) => ({ ...web(version, image), role: 'workers', proxy: null, deployTimeout, readinessDelay: 1 });
    const ok = await h.call('app.boot', workers('v2', v2, 20));
    assert.equal(ok.result.status, 'healthy');
    assert.match(ok.output, /Container is healthy!/);
    await assert.rejects(h.call('app.boot', workers('v3', broken, 4)), (e: Error & { details: string[] }) => {
      assert.match(e.message, /^sample-app-workers-v3 on web-1 did not become healthy: container not ready after 4 seconds \((unhealthy|starting)\)$/);
      return true;
    });
    assert.equal((await host.docker.getContainer('sample-app-workers-v2').inspect()).State.Running, true, 'the old worker keeps running');
  });

  test('an env file that cannot be written and a foreign container holding the name are reported, nothing is started', async () => {
    const badRun = join(mkdtempSync(join(tmpdir(), 'drover-ops-bad-')), '.kamal');
    mkdirSync(badRun, { recursive: true });
    writeFileSync(join(badRun, 'apps'), 'not a directory');
    const bad = harness(host, badRun);
    await assert.rejects(bad.call('app.boot', web('v9', v2)), { message: /^cannot write env file .*\/apps\/sample-app\/env\/roles\/web\.env: (ENOTDIR|EEXIST)/ });
    assert.equal((await host.docker.listContainers({ all: true, filters: JSON.stringify({ name: ['^sample-app-web-v9$'] }) })).length, 0);
    rmSync(join(badRun, '..'), { recursive: true, force: true });

    await host.docker.createContainer({ name: 'sample-app-web-v8', Image: v2, Labels: { service: 'someone-else' } });
    await assert.rejects(h.call('app.boot', web('v8', v2)), /container name clash on web-1: a container named sample-app-web-v8 already exists and is not a sample-app container/);
  });

  test('a retried operation id returns the recorded result without running again', async () => {
    const id = randomUUID();
    const auditPath = join(runDir, 'sample-app-audit.log');
    const first = await h.call('app.stale_containers', { ...scope, role: 'web', stop: true }, id);
    const lines = readFileSync(auditPath, 'utf8');
    const second = await h.call('app.stale_containers', { ...scope, role: 'web', stop: true }, id);
    assert.deepEqual(second.result, first.result);
    await assert.rejects(h.call('app.stop', { ...scope, role: 'web' }, id), /already used for app\.stale_containers/);
    // A fresh agent (same run directory) reads the record from disk.
    const restarted = harness(host, runDir);
    const third = await restarted.call('app.stale_containers', { ...scope, role: 'web', stop: true }, id);
    assert.deepEqual(third.result, first.result);
    assert.equal(readFileSync(auditPath, 'utf8'), lines);
  });

  test('inventory recognises app, replaced and proxy containers; stop/start, proxy remove', async () => {
    const inv = await h.call('inventory', {});
    const web2 = inv.result.containers.find((c: any) => c.name === 'sample-app-web-v2');
    assert.deepEqual({ kind: web2.kind, service: web2.service, role: web2.role, destination: web2.destination, version: web2.version, state: web2.state }, { kind: 'app', service: 'sample-app', role: 'web', destination: null, version: 'v2', state: 'running' });
    assert.ok(inv.result.containers.some((c: any) => c.kind === 'replaced' && c.version === 'v2'));
    assert.equal(inv.result.proxy.name, 'kamal-proxy');

    await h.call('app.stop', { ...scope, role: 'web', proxied: true });
    assert.match(await httpOnHost(host, '/version'), /ERROR .*404/);
    await h.call('app.start', { ...scope, role: 'web', version: 'v2', proxy: { appPort: 80, args: proxyArgs } });
    assert.equal(await httpOnHost(host, '/version'), 'v2');

    await h.call('proxy.stop', scope);
    await assert.rejects(h.call('app.live', { ...scope, role: 'web' }), /failed on web-1: .*(is not running|not running)/i);
    await h.call('proxy.start', scope);
    await h.call('proxy.remove', scope);
    await assert.rejects(h.call('app.maintenance', { ...scope, role: 'web' }), /No such container: kamal-proxy/);
    assert.equal((await h.call('proxy.details', scope)).result.present, false);
  });

  test('proxy.boot from Kamal\'s legacy boot files, then app.remove clears the role: containers, images, app directory', async () => {
    const cut = proxyImage.lastIndexOf(':');
    mkdirSync(join(runDir, 'proxy'), { recursive: true });
    writeFileSync(join(runDir, 'proxy', 'image'), proxyImage.slice(0, cut));
    writeFileSync(join(runDir, 'proxy', 'image_version'), proxyImage.slice(cut + 1));
    writeFileSync(join(runDir, 'proxy', 'options'), '--publish 8080:80 --log-opt max-size=10m');
    await h.call('proxy.boot', { ...scope, run: null, registry });
    const proxy = await host.docker.getContainer('kamal-proxy').inspect();
    assert.equal(proxy.Config.Image, proxyImage);
    assert.deepEqual(Object.keys(proxy.HostConfig.PortBindings ?? {}), ['80/tcp']);
    assert.equal(proxy.HostConfig.PortBindings?.['80/tcp']?.[0]?.HostPort, '8080');
    await h.call('image.pull', { ...scope, image: v1, version: 'v1', registry });
    await h.call('app.boot', web('v1', v1));
    assert.equal((await host.exec(['busybox', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/version'])).stdout.trim(), 'v1');

    await h.call('app.remove', { ...scope, role: 'web', proxied: true });
    const left = await host.docker.listContainers({ all: true, filters: { label: ['service=sample-app', 'role=web'] } });
    assert.deepEqual(left.map((c) => c.Names[0]), []);
    // Like `docker image prune --all --filter label=service=…`: only images no container uses go.
    const images = (await host.docker.listImages({ filters: { label: ['service=sample-app'] } })).flatMap((i) => i.RepoTags ?? []);
    assert.ok(!images.includes(v1), 'v1, used only by the removed role, is gone');
    const stillUsed = (await host.docker.listContainers({ all: true, filters: { label: ['service=sample-app'] } })).map((c) => c.Image);
    assert.deepEqual([...images].sort(), [...new Set(stillUsed)].sort(), 'what remains is what other roles still run');
    assert.throws(() => statSync(join(runDir, 'apps', 'sample-app')), /ENOENT/);
    // The proxy no longer routes to the removed role.
    assert.match((await host.exec(['busybox', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/version'], { check: false })).stderr, /404|503/);
  });
});
