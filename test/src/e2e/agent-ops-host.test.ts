import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOperations, runOperation, type Chunk, type Operation, type OperationContext } from '@drover/agent/ops/index';
import { Rig, waitFor, type RigHost } from '../rig/index.js';

function harness(host: RigHost, runDirectory: string) {
  const ops = createOperations({ docker: host.docker, runDirectory, host: host.name, log: { info() {}, warn() {}, error() {} }, hostEnv: {} });
  return async (method: string, params: unknown, extra: Partial<OperationContext> = {}): Promise<{ result: any; output: string }> => {
    let output = '';
    const ctx: OperationContext = { signal: new AbortController().signal, operationId: randomUUID(), emit: (c) => { output += c.toString(); }, ...extra };
    const result = await runOperation(ops as Record<string, Operation>, method, params, ctx);
    return { result, output };
  };
}

async function* lines(...chunks: string[]): AsyncIterable<Chunk> {
  for (const c of chunks) yield c;
}

describe('agent operations: accessories, logs, exec, prune against a real dockerd', () => {
  let rig: Rig;
  let host: RigHost;
  let home: string;
  let call: ReturnType<typeof harness>;
  let v1: string; let v2: string;
  let registry: { server: string; username: string; password: string };
  const scope = { service: 'sample-app', destination: 'staging', performer: 'tester' };
  const accessory = () => ({
    ...scope, name: 'busybox', accessoryService: 'custom-busybox', image: v1, registry,
    cmd: ['sh', '-c', 'echo Starting busybox...; exec httpd -f -p 80 -h /www'],
    publish: '127.0.0.1:8081:80',
    env: { clear: { MODE: 'test' }, secrets: { DB_PASSWORD: 's3cret' } },
    files: [{ hostPath: 'custom-busybox/etc/app.conf', remote: '/etc/app.conf', content: 'key=value\n', mode: '640', owner: '1000:1000' }],
    directories: [{ hostPath: 'custom-busybox/data', remote: '/data', mode: '750', owner: '1000:1000', options: 'ro' }],
  });

  before(async () => {
    rig = await Rig.start({ hosts: ['web-1'] });
    host = rig.host('web-1');
    home = mkdtempSync(join(tmpdir(), 'drover-ops-home-'));
    call = harness(host, join(home, '.kamal'));
    registry = { server: rig.registry.server, username: rig.registry.username, password: rig.registry.password };
    [v1, v2] = await Promise.all([rig.buildSampleApp({ version: 'v1' }), rig.buildSampleApp({ version: 'v2' })]);
    for (const image of [v1, v2]) await call('image.pull', { ...scope, image, version: 'x', registry });
  });
  after(async () => {
    await rig?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('accessory.boot places files, directories and the env file, runs it like Kamal, and skips an existing one', async () => {
    const { result } = await call('accessory.boot', accessory());
    assert.equal(result.action, 'created');
    const c = await host.docker.getContainer('custom-busybox').inspect();
    assert.equal(c.Config.Labels.service, 'custom-busybox');
    assert.equal(c.HostConfig.NetworkMode, 'kamal');
    assert.deepEqual(c.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8081' }] });
    assert.deepEqual(c.HostConfig.Binds, [`${home}/custom-busybox/etc/app.conf:/etc/app.conf`, `${home}/custom-busybox/data:/data:ro`]);
    assert.deepEqual(c.Config.Env.filter((e) => !e.startsWith('PATH=')), ['DB_PASSWORD=s3cret', 'KAMAL_HOST=web-1', 'MODE=test']);
    const file = statSync(join(home, 'custom-busybox/etc/app.conf'));
    assert.deepEqual([file.mode & 0o777, file.uid, file.gid], [0o640, 1000, 1000]);
    const dir = statSync(join(home, 'custom-busybox/data'));
    assert.deepEqual([dir.mode & 0o777, dir.uid], [0o750, 1000]);
    const envFile = join(home, '.kamal/apps/sample-app-staging/env/accessories/busybox.env');
    assert.equal(readFileSync(envFile, 'utf8'), 'DB_PASSWORD=s3cret\n');
    assert.equal(statSync(envFile).mode & 0o777, 0o600);
    const served = await waitFor('the accessory on 127.0.0.1:8081', async () =>
      (await host.exec(['busybox', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8081/version'], { check: false, timeoutMs: 10_000 })).stdout.trim() || undefined, 10_000);
    assert.equal(served, 'v1');

    const again = await call('accessory.boot', accessory());
    assert.equal(again.result.action, 'skipped');
    assert.match(again.output, /^Skipping booting `busybox` on web-1, a container already exists$/m);
  });

  test('accessory stop, start, restart, details, logs, exec with stdin, remove', async () => {
    const acc = { ...scope, name: 'busybox', accessoryService: 'custom-busybox' };
    await call('accessory.stop', acc);
    assert.equal((await call('accessory.details', acc)).result.state, 'exited');
    await call('accessory.start', acc);
    await call('accessory.restart', acc);
    assert.equal((await call('accessory.details', acc)).result.state, 'running');
    const logs = await call('accessory.logs', { ...acc, grep: 'Starting', timestamps: false });
    assert.match(logs.output, /^Starting busybox\.\.\.$/m);
    assert.equal(logs.result.lines, logs.output.trim().split('\n').length);

    const exec = await call('accessory.exec', { ...acc, command: ['sh', '-c', 'cat; cat /etc/app.conf; exit 3'], interactive: true, reuse: true }, { stdin: lines('hello ', 'from stdin\n') });
    assert.equal(exec.output, 'hello from stdin\nkey=value\n');
    assert.equal(exec.result.exitCode, 3);

    await call('accessory.remove', { ...acc, removePaths: ['custom-busybox'] });
    assert.equal((await call('accessory.details', acc)).result.present, false);
    assert.equal(existsSync(join(home, 'custom-busybox')), false);
    await assert.rejects(call('accessory.start', acc), /docker container start custom-busybox failed on web-1: No such container: custom-busybox/);
  });

  test('app logs and exec (new container and --reuse), containers and images listing, audit', async () => {
    const web = (version: string, image: string) => ({ ...scope, role: 'web', version, image, deployTimeout: 20, readinessDelay: 0 });
    await call('app.boot', web('v1', v1));
    await host.exec(['busybox', 'true']);
    const running = (await call('containers.list', { service: 'sample-app', destination: 'staging' })).result.containers;
    assert.deepEqual(running.map((c: any) => [c.name, c.kind, c.destination, c.version]), [['sample-app-web-staging-v1', 'app', 'staging', 'v1']]);
    const c = await host.docker.getContainer('sample-app-web-staging-v1').inspect();
    assert.ok(c.Config.Env.includes('KAMAL_DESTINATION=staging'));
    assert.equal(c.Config.Labels.destination, 'staging');

    const fresh = await call('app.exec', { ...scope, role: 'web', version: 'v1', image: v1, command: ['cat', '/www/version'] });
    assert.equal(fresh.output, 'v1\n');
    assert.match(fresh.result.container, /^sample-app-web-staging-exec-v1-[0-9a-f]{6}$/);
    assert.equal((await host.docker.listContainers({ all: true, filters: JSON.stringify({ name: ['-exec-'] }) })).length, 0, 'one-off containers are removed (--rm)');
    const reuse = await call('app.exec', { ...scope, role: 'web', version: 'v1', image: v1, command: ['sh', '-c', 'echo $KAMAL_CONTAINER_NAME'], reuse: true });
    assert.equal(reuse.output, 'sample-app-web-staging-v1\n');
    const tty = await call('app.exec', { ...scope, role: 'web', version: 'v1', image: v1, command: ['sh', '-c', 'read x; echo got $x'], reuse: true, interactive: true, tty: true }, { stdin: lines('abc\n') });
    assert.match(tty.output, /got abc/);

    const logs = await call('containers.logs', { service: 'sample-app', role: 'web', destination: 'staging', lines: 50 });
    assert.equal(logs.result.container, 'sample-app-web-staging-v1');
    // Follow stops when the caller goes away.
    const ac = new AbortController();
    const following = call('containers.logs', { container: 'sample-app-web-staging-v1', follow: true }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 500);
    await following;

    const imgs = (await call('images.list', { service: 'sample-app' })).result.images;
    assert.ok(imgs.some((i: any) => i.tags.includes(v1)));
    const audit = (await call('audit.read', { service: 'sample-app', destination: 'staging' })).result;
    assert.equal(audit.path, join(home, '.kamal/sample-app-staging-audit.log'));
    assert.ok(audit.lines.some((l: string) => /^\[[^\]]+\] \[tester\] \[staging\] \[web\] Booted app version v1$/.test(l)), audit.lines.join('\n'));
    assert.ok(audit.lines.some((l: string) => /^\[[^\]]+\] \[tester\] \[staging\] Booted busybox accessory$/.test(l)));
  });

  test('prune keeps the newest stopped containers and the images containers use', async () => {
    for (const n of [1, 2, 3]) {
      await host.docker.createContainer({ name: `sample-app-web-staging-old${n}`, Image: v2, Labels: { service: 'sample-app', role: 'web', destination: 'staging' } });
      // Docker lists containers' creation time in whole seconds: a second apart, "newest" is unambiguous.
      await new Promise((r) => setTimeout(r, 1100));
    }
    const { result } = await call('prune.containers', { ...scope, retain: 2 });
    assert.deepEqual(result.removed, ['sample-app-web-staging-old1']);
    for (const n of [2, 3]) await host.docker.getContainer(`sample-app-web-staging-old${n}`).remove();
    const images = await call('prune.images', { ...scope, latestImage: v1.replace(/:v1$/, ':latest-staging') });
    assert.deepEqual(images.result.removed, [v2], 'v2 is used by no container any more; v1 still is');
    await host.docker.getImage(v1).inspect();
  });

  test('prune.all prunes the containers first, so a tag only old containers used goes in the same call', async () => {
    const v7 = v1.replace(/:v1$/, ':v7');
    const [repo, tag] = [v7.slice(0, v7.lastIndexOf(':')), 'v7'];
    await host.docker.getImage(v1).tag({ repo, tag });
    await host.docker.createContainer({ name: 'sample-app-web-staging-old7', Image: v7, Labels: { service: 'sample-app', role: 'web', destination: 'staging' } });
    await new Promise((r) => setTimeout(r, 1100));
    await host.docker.createContainer({ name: 'sample-app-web-staging-old8', Image: v1, Labels: { service: 'sample-app', role: 'web', destination: 'staging' } });
    const { result } = await call('prune.all', { ...scope, retain: 1, latestImage: v1.replace(/:v1$/, ':latest-staging') });
    assert.ok(result.containers.includes('sample-app-web-staging-old7'), JSON.stringify(result));
    assert.ok(!result.containers.includes('sample-app-web-staging-old8'), 'the newest stopped container is kept');
    assert.ok(result.images.includes(v7), JSON.stringify(result));
    await host.docker.getImage(v1).inspect();
    await host.docker.getContainer('sample-app-web-staging-old8').remove();
  });
});
