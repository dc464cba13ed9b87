import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { waitFor } from '../rig/index.js';
import { SampleProject } from './deploy-project.js';
import { Fleet } from './fleet.js';
import { httpGet } from './http-get.js';
import { startLoad, type LoadTally } from './load.js';

// Kamal's main integration scenarios (reference §10.1), through Drover: `drover deploy` in an unchanged
// Kamal project, hosts behind NAT reached only through the agents they dialled out with.

const WEB = ['web-1', 'web-2'];
const WORKER = 'worker-1';

describe('drover deploy, redeploy, rollback, lock and remove on NAT\'d hosts (rig)', () => {
  let fleet: Fleet;
  let project: SampleProject;
  let v1: string;
  const urls: string[] = [];

  const versionOn = async (url: string): Promise<string> => {
    const r = await httpGet(`${url}/version`, 5_000);
    return r.status === 200 ? r.body.trim() : `HTTP ${r.status}`;
  };
  const drover = (args: string[]) => fleet.run(args, project.dir);
  const ok = (r: { code: number | null; all: string }) => assert.equal(r.code, 0, r.all);
  const containersOn = async (host: string) => (await fleet.host(host).docker.listContainers({ all: true })).map((c) => ({ name: c.Names[0]!.slice(1), state: c.State }));
  const underLoad = async (run: () => Promise<void>): Promise<LoadTally> => {
    // 250 requests a second over both web hosts, half on new connections, half keep-alive.
    const load = startLoad(urls.map((u) => `${u}/version`), { ratePerSecond: 250 });
    let tally: LoadTally | null = null;
    try {
      await run();
    } finally {
      tally = await load.stop();
    }
    console.log(`# load: ${tally.ok} requests in ${tally.seconds.toFixed(1)} s (${Math.round(tally.ok / tally.seconds)} req/s), ${tally.failed.length} failed, ${tally.skipped} not sent (fell behind)`);
    return tally;
  };

  before(async () => {
    fleet = await Fleet.start([...WEB, WORKER]);
    await fleet.rig.buildProxyImage();
    project = SampleProject.create(join(fleet.dir, 'app'), fleet.rig, { servers: { web: WEB, workers: [WORKER] }, hooks: true }, 'one');
    v1 = project.git(['rev-parse', 'HEAD']);
  });
  after(async () => {
    await fleet?.stop();
  });

  test('deploy: build and push on the operator side, Kamal\'s sequence and messages, hooks, barrier, workers', async () => {
    const r = await drover(['deploy']);
    ok(r);
    for (const line of [
      'Build and push app image...', 'Acquiring the deploy lock...', 'Ensure kamal-proxy is running...', 'Detect stale containers...',
      `Start container with version ${v1} (or reboot if already running)...`,
      `Waiting for the first healthy web container before booting workers on ${WORKER}...`,
      'Prune old containers and images...', 'Releasing the deploy lock...',
    ]) assert.ok(r.out.includes(line), `missing "${line}" in:\n${r.all}`);
    assert.match(r.out, /First web container is healthy on web-[12], booting any other roles/);
    assert.match(r.out, /web-1: sample-app-web-[0-9a-f]{40} healthy \(\d+\.\d+s\)/, 'per-host progress with elapsed time');
    assert.match(r.out, /Finished all in \d+\.\d seconds/);

    for (const host of WEB) urls.push(`http://${await fleet.host(host).publish([80])}`);
    for (const url of urls) assert.equal(await versionOn(url), 'one');
    assert.ok((await containersOn(WORKER)).some((c) => c.name === `sample-app-workers-${v1}` && c.state === 'running'));

    const hooks = project.hookLog();
    assert.deepEqual(hooks.map((l) => l.split(' ')[0]), ['pre-connect', 'pre-build', 'pre-deploy', 'pre-app-boot', 'post-app-boot', 'post-deploy']);
    assert.match(hooks[2]!, new RegExp(`^pre-deploy cmd=deploy hosts=web-1,web-2,worker-1 version=${v1} performer=deployer@example.com lock=true secret=yes$`));
    assert.match(hooks[3]!, /^pre-app-boot .* secret=$/, 'pre-app-boot gets no secrets');

    // The secret reached the container's environment and nothing else (labels, command line).
    const c = await fleet.host('web-1').docker.getContainer(`sample-app-web-${v1}`).inspect();
    assert.ok(c.Config.Env.includes('APP_SECRET=s3cr3t-value-for-tests'));
    assert.ok(!JSON.stringify([c.Config.Labels, c.Args, c.Config.Cmd]).includes('s3cr3t'));
    assert.ok(!r.all.includes('s3cr3t'), 'the secret is never printed');

    const list = await drover(['deployments', '--json']);
    ok(list);
    const [latest] = (JSON.parse(list.out) as { deployments: Array<{ status: string; version: string; command: string; hosts: string[] }> }).deployments;
    assert.deepEqual([latest?.command, latest?.status, latest?.version, latest?.hosts], ['deploy', 'succeeded', v1, ['web-1', 'web-2', 'worker-1']]);
  });

  let v2 = '';
  test('redeploy a new version under load: zero failed requests; --json ends with a result object', async () => {
    // The image is built and pushed beforehand, so the load runs through the rollout alone (-P, --version).
    v2 = 'two';
    await fleet.rig.buildSampleApp({ version: v2 });
    project.clearHookLog();
    let run: Awaited<ReturnType<typeof drover>> | null = null;
    const tally = await underLoad(async () => { run = await drover(['redeploy', '-P', '--version', v2, '--json']); });
    ok(run!);
    const lines = run!.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.at(-1), { result: { ...(lines.at(-1)!.result as object), status: 'succeeded', exitCode: 0, version: v2, command: 'redeploy' } });
    assert.ok(lines.some((l) => l.type === 'say' && l.text === 'Releasing the deploy lock...'));
    assert.deepEqual(tally.failed, [], 'no request failed during the redeploy');
    assert.equal(tally.skipped, 0, 'the hosts kept up with the offered load');
    assert.ok(tally.ok / tally.seconds >= 200, `load was ${Math.round(tally.ok / tally.seconds)} req/s`);
    assert.ok(project.hookLog().some((l) => l.startsWith('pre-deploy cmd=redeploy')), 'hooks of a --json run still run');
    assert.deepEqual([...tally.versions].sort(), ['one', 'two']);
    for (const url of urls) assert.equal(await versionOn(url), 'two');
    assert.ok((await containersOn(WORKER)).some((c) => c.name === `sample-app-workers-${v2}` && c.state === 'running'));
  });

  test('rollback to the first version under load: zero failed requests', async () => {
    let run: Awaited<ReturnType<typeof drover>> | null = null;
    const tally = await underLoad(async () => { run = await drover(['rollback', v1]); });
    ok(run!);
    assert.deepEqual(tally.failed, [], 'no request failed during the rollback');
    assert.equal(tally.skipped, 0, 'the hosts kept up with the offered load');
    assert.ok(tally.ok / tally.seconds >= 200, `load was ${Math.round(tally.ok / tally.seconds)} req/s`);
    for (const url of urls) assert.equal(await versionOn(url), 'one');
    const missing = await drover(['rollback', 'nonexistent']);
    ok(missing);
    assert.match(missing.out, /The app version 'nonexistent' is not available as a container/);
  });

  test('a broken version: barrier messages, the failure explained, old version still serving, old workers untouched', async () => {
    const broken = project.commit('three', { healthy: false });
    let r: Awaited<ReturnType<typeof drover>> = { code: null, out: '', err: '', all: '' };
    const tally = await underLoad(async () => { r = await drover(['deploy']); });
    assert.deepEqual(tally.failed, [], 'the old version kept serving every request');
    assert.equal(r.code, 1, r.all);
    assert.ok(r.out.includes(`Waiting for the first healthy web container before booting workers on ${WORKER}...`), r.all);
    assert.match(r.out, /First web container is unhealthy on web-[12], not booting any other roles/);
    assert.ok(r.out.includes(`First web container is unhealthy, not booting workers on ${WORKER}`), r.all);
    assert.match(r.err, /ERROR Exceptions on 3 hosts:\n[\s\S]*web-1: sample-app-web-\w+ on web-1 did not become healthy[\s\S]*worker-1: Halted at barrier/);
    for (const url of urls) assert.equal(await versionOn(url), 'one');
    const workers = await containersOn(WORKER);
    assert.ok(workers.some((c) => c.name === `sample-app-workers-${v1}` && c.state === 'running'), JSON.stringify(workers));
    assert.ok(!workers.some((c) => c.name === `sample-app-workers-${broken}`), 'the new workers container was never created');
    const status = await drover(['lock', 'status']);
    ok(status);
    assert.equal(status.out.trim(), 'There is no deploy lock', 'the lock is released on failure');
    project.commit('one');
  });

  test('lock: a manual lock stops deploys with Kamal\'s messages until it is released', async () => {
    ok(await drover(['lock', 'acquire', '-m', 'Integration Tests']));
    try {
      const status = await drover(['lock', 'status']);
      ok(status);
      assert.match(status.out, /^Locked by: Deployer at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\nVersion: \nMessage: Integration Tests$/m);
      // -P pulls before taking the lock (as Kamal does): deploy a version that is in the registry.
      const blocked = await drover(['deploy', '-P', '--version', v1]);
      assert.equal(blocked.code, 1, blocked.all);
      assert.ok(blocked.out.includes('Deploy lock already in place!'), blocked.all);
      assert.match(blocked.err, /Deploy lock found\. Run 'drover lock help' for more information/);
      const waited = await drover(['deploy', '-P', '--version', v1, '--lock-wait', '--lock-wait-timeout', '2', '--lock-wait-interval', '1']);
      assert.equal(waited.code, 1);
      assert.match(waited.err, /Deploy lock held manually, not waiting/);
    } finally {
      const released = await drover(['lock', 'release']);
      ok(released);
      assert.equal(released.out.trim(), 'Released the deploy lock');
    }
    assert.equal((await drover(['lock', 'status'])).out.trim(), 'There is no deploy lock');
  });

  test('an offline agent fails the deploy at once, naming the host and when it was last seen', async () => {
    await fleet.stopAgent(WORKER);
    try {
      await waitFor('worker offline', async () => {
        const r = await drover(['agents', '--json']);
        return (JSON.parse(r.out) as { agents: Array<{ name: string; online: boolean }> }).agents.some((a) => a.name === WORKER && !a.online) ? true : undefined;
      }, 20_000, 200);
      const t0 = Date.now();
      const r = await drover(['deploy', '-P', '--version', v1]);
      assert.equal(r.code, 1, r.all);
      assert.match(r.err, /agent worker-1: not connected \(last seen \d{4}-/);
      assert.ok(Date.now() - t0 < 20_000, 'fails fast');
      assert.equal((await drover(['lock', 'status'])).out.trim(), 'There is no deploy lock');
    } finally {
      await fleet.startAgent(WORKER);
    }
  });

  test('--detach returns at once; `deployments watch` follows the rollout to its end and exits with its code', async () => {
    const refused = await drover(['deploy', '-P', '--version', v1, '--detach']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /--detach: this project has hooks that run during the rollout \(.*pre-deploy.*\), and hooks run on this machine/);
    const started = await drover(['deploy', '-P', '--version', v1, '--detach', '-H']);
    ok(started);
    const [, id] = /Deployment (dep-[a-z0-9]+-[0-9a-f]{8}) started/.exec(started.out) ?? [];
    assert.ok(id, started.out);
    const watched = await drover(['deployments', 'watch', id!]);
    ok(watched);
    assert.ok(watched.out.includes('Releasing the deploy lock...'), watched.all);
    const shown = await drover(['deployments', 'show', id!, '--json']);
    ok(shown);
    const detail = JSON.parse(shown.out) as { deployment: { status: string }; steps: Array<{ host: string; kind: string; status: string }> };
    assert.equal(detail.deployment.status, 'succeeded');
    assert.ok(detail.steps.some((st) => st.host === 'web-2' && st.kind === 'app.boot' && st.status === 'succeeded'));
  });

  test('remove -y: containers, images, the app directory and kamal-proxy are gone', async () => {
    const r = await drover(['remove', '-y']);
    ok(r);
    for (const host of [...WEB, WORKER]) {
      const left = (await containersOn(host)).filter((c) => c.name.startsWith('sample-app') || c.name === 'kamal-proxy');
      assert.deepEqual(left, [], `${host}: ${JSON.stringify(left)}`);
    }
    for (const url of urls) assert.notEqual(await versionOn(url).catch(() => 'down'), 'one');
  });
});
