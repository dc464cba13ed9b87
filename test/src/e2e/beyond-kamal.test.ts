import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@drover/controller/e2e/harness';
import { SampleProject } from './deploy-project.js';
import { Fleet } from './fleet.js';
import { httpGet } from './http-get.js';
import { startLoad, type LoadTally } from './load.js';

// Issue 12 on four NAT'd hosts in boot groups of two. Automatic rollback: a version whose health gate fails
// on web-4 only (Kamal's env tags give that host FAIL_HEALTH); the hosts that switched before web-4 failed
// go back to the previous version, under load, without a failed request; with `auto_rollback: false` they
// stay where Kamal leaves them. Canary: a version that goes bad during the soak never leaves web-1. Fleets
// by label: a role filled with the agents labelled tier=edge, and web-5, enrolled later with that label,
// brought into the role by convergence.

const WEB = ['web-1', 'web-2', 'web-3', 'web-4'];

describe('beyond Kamal on 4 NAT\'d hosts (and a fifth that enrolls later): automatic rollback, canary, fleets by label (rig)', () => {
  let fleet: Fleet;
  let project: SampleProject;
  let v1: string;
  /** The version the tier=edge fleet was deployed at. */
  let edgeVersion = '';
  const urls: string[] = [];

  const drover = (args: string[]) => fleet.run(args, project.dir);
  const versions = async () => Promise.all(urls.map(async (u) => {
    const r = await httpGet(`${u}/version`, 5_000);
    return r.status === 200 ? r.body.trim() : `HTTP ${r.status}`;
  }));
  const underLoad = async (run: () => Promise<void>): Promise<LoadTally> => {
    const load = startLoad(urls.map((u) => `${u}/version`), { ratePerSecond: 200 });
    let tally: LoadTally;
    try {
      await run();
    } finally {
      tally = await load.stop();
    }
    console.log(`# load: ${tally.ok} requests in ${tally.seconds.toFixed(1)} s, ${tally.failed.length} failed, versions seen: ${[...tally.versions].join(', ')}`);
    return tally;
  };

  before(async () => {
    fleet = await Fleet.start([...WEB, 'web-5'], { enrolled: WEB });
    await fleet.rig.buildProxyImage();
    project = SampleProject.create(join(fleet.dir, 'app'), fleet.rig, {
      servers: { web: ['web-1', 'web-2', 'web-3', 'web-4: [unwell]'] },
      envTags: { unwell: { FAIL_HEALTH: '1' } },
      extra: 'boot:\n  limit: 2\n',
    }, 'one');
    v1 = project.git(['rev-parse', 'HEAD']);
    const first = await drover(['deploy']);
    assert.equal(first.code, 0, first.all);
    for (const host of WEB) urls.push(`http://${await fleet.host(host).publish([80])}`);
    assert.deepEqual(await versions(), ['one', 'one', 'one', 'one']);
  });
  after(async () => {
    await fleet?.stop();
  });

  test('on by default: the hosts that switched return to the previous version, the deployment ends rolled_back', async () => {
    const v2 = project.commit('two', { unhealthyWhenEnv: 'FAIL_HEALTH' });
    let r: Awaited<ReturnType<typeof drover>> = { code: null, out: '', err: '', all: '' };
    const tally = await underLoad(async () => { r = await drover(['deploy']); });
    assert.equal(r.code, 1, r.all);
    assert.deepEqual(tally.failed, [], 'every request was answered, before, during and after the rollback');
    assert.ok(tally.versions.has('two'), 'the first boot group did switch before web-4 failed');
    assert.ok(r.out.includes(`Rolling back web-1, web-2, web-3 to version ${v1}...`), r.all);
    assert.ok(r.out.includes('Rolled back 3 hosts'), r.all);
    assert.match(r.err, new RegExp(`ERROR web-4: sample-app-web-${v2} on web-4 did not become healthy`));
    for (const host of ['web-1', 'web-2', 'web-3']) assert.ok(r.err.includes(`${host}: rolled back (web on ${v1})`), r.all);
    assert.deepEqual(await versions(), ['one', 'one', 'one', 'one']);

    // The new containers are stopped where they ran; the old ones serve again.
    for (const host of ['web-1', 'web-3']) {
      const states = Object.fromEntries((await fleet.host(host).docker.listContainers({ all: true })).map((c) => [c.Names[0]!.slice(1), c.State]));
      assert.equal(states[`sample-app-web-${v1}`], 'running', JSON.stringify(states));
      assert.notEqual(states[`sample-app-web-${v2}`], 'running', JSON.stringify(states));
    }
    const list = await drover(['deployments', '--json']);
    const [latest] = (JSON.parse(list.out) as { deployments: Array<{ status: string; version: string }> }).deployments;
    assert.deepEqual([latest?.status, latest?.version], ['rolled_back', v2]);
    const lock = await drover(['lock', 'status']);
    assert.equal(lock.out.trim(), 'There is no deploy lock');
  });

  test('x-drover/auto_rollback: false keeps Kamal\'s behaviour: the hosts that switched stay on the new version', async () => {
    appendFileSync(join(project.dir, 'config', 'deploy.yml'), 'x-drover:\n  auto_rollback: false\n');
    project.git(['commit', '-q', '-am', 'no automatic rollback']);
    const r = await drover(['deploy']);
    assert.equal(r.code, 1, r.all);
    assert.ok(!r.out.includes('Rolling back'), r.all);
    assert.deepEqual(await versions(), ['two', 'two', 'two', 'one']);
    const list = await drover(['deployments', '--json']);
    assert.equal((JSON.parse(list.out) as { deployments: Array<{ status: string }> }).deployments[0]?.status, 'failed');
  });

  test('canary: a version that goes bad during the soak is rolled back on the canary host (auto_rollback off), the others never boot it', async () => {
    // Still `auto_rollback: false` from the previous test: the canary rolls back regardless.
    appendFileSync(join(project.dir, 'config', 'deploy.yml'), '  canary:\n    hosts: 1\n    soak: 20\n');
    project.commit('three', { failAfterSeconds: 8 });
    let r: Awaited<ReturnType<typeof drover>> = { code: null, out: '', err: '', all: '' };
    const tally = await underLoad(async () => { r = await drover(['deploy']); });
    assert.equal(r.code, 1, r.all);
    assert.deepEqual(tally.failed, [], 'only the health path went bad: every request was answered');
    assert.ok(tally.versions.has('three'), 'the canary served the new version during its soak');
    assert.ok(r.out.includes('Canary web-1: watching the new version for 20s before booting the other hosts...'), r.all);
    assert.match(r.err, /ERROR web-1: canary sample-app-web-\w+ failed during its soak: GET \/up on port 80 answered 404 Not Found/);
    assert.ok(r.out.includes('Rolling back web-1 to version'), r.all);
    assert.deepEqual(await versions(), ['two', 'two', 'two', 'one']);
    const list = await drover(['deployments', '--json']);
    assert.equal((JSON.parse(list.out) as { deployments: Array<{ status: string }> }).deployments[0]?.status, 'rolled_back');
  });

  test('canary: a version healthy through the soak goes to every host', async () => {
    const config = join(project.dir, 'config', 'deploy.yml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('soak: 20', 'soak: 4'));
    project.commit('four');
    const r = await drover(['deploy']);
    assert.equal(r.code, 0, r.all);
    assert.match(r.out, /web-1: canary healthy for 4s \(\d+ checks\)/);
    assert.ok(r.out.includes('Canary healthy for 4s, booting the other hosts...'), r.all);
    assert.deepEqual(await versions(), ['four', 'four', 'four', 'four']);
  });

  test('fleets by label: a role with no named host gets the agents carrying its labels; a selector that matches nothing is refused', async () => {
    for (const host of ['web-3', 'web-4']) {
      const labelled = await drover(['agents', 'label', host, 'tier=edge']);
      assert.equal(labelled.code, 0, labelled.all);
    }
    const config = join(project.dir, 'config', 'deploy.yml');
    const jobsRole = '  jobs:\n    hosts: []\n    cmd: httpd -f -p 80 -h /www\n';
    writeFileSync(config, `${readFileSync(config, 'utf8').replace('servers:\n', `servers:\n${jobsRole}`)}  roles:\n    jobs:\n      labels: tier=edge\n`);
    const version = project.commit('five');
    edgeVersion = version;

    const shown = await drover(['config', '--json']);
    assert.equal(shown.code, 0, shown.all);
    assert.ok(shown.err.includes('jobs: agents labelled tier=edge: web-3, web-4'), shown.all);
    assert.deepEqual((JSON.parse(shown.out) as { roles: Record<string, { hosts: string[] }> }).roles.jobs?.hosts, ['web-3', 'web-4']);

    const r = await drover(['deploy']);
    assert.equal(r.code, 0, r.all);
    for (const host of WEB) {
      const names = (await fleet.host(host).docker.listContainers()).map((c) => c.Names[0]!.slice(1));
      assert.equal(names.includes(`sample-app-jobs-${version}`), host === 'web-3' || host === 'web-4', `${host}: ${names.join(', ')}`);
    }

    writeFileSync(config, readFileSync(config, 'utf8').replace('labels: tier=edge', 'labels: tier=nowhere'));
    project.git(['commit', '-q', '-am', 'no agent has these labels']);
    const refused = await drover(['redeploy', '-P', '--version', version]);
    assert.equal(refused.code, 1, refused.all);
    assert.match(refused.err, /servers\/jobs: no enrolled agent has the labels tier=nowhere/);
  });

  test('convergence: an agent enrolled later with a role\'s labels joins it, waits out a held lock, deploys under its own host lock', async () => {
    type Waiting = { host: string; version: string; reason: string; attempts: number; converging: string | null };
    const waiting = async (): Promise<Waiting | undefined> => {
      const r = await drover(['converge', 'status', '--json']);
      assert.equal(r.code, 0, r.all);
      return (JSON.parse(r.out) as { pending: Waiting[] }).pending.find((p) => p.host === 'web-5');
    };
    assert.equal((await drover(['converge', 'pause'])).code, 0);
    await fleet.enroll('web-5', 'tier=edge,region=eu');
    await eventually(async () => (await waiting()) !== undefined, 20_000, 'web-5 joined the tier=edge fleet');
    const joined = await waiting();
    assert.deepEqual([joined?.version, joined?.reason, joined?.attempts, joined?.converging], [edgeVersion, 'joined', 0, null], 'paused: it waits');

    // `details` of the project (its selector again tier=edge) shows what web-5 waits for.
    const config = join(project.dir, 'config', 'deploy.yml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('labels: tier=nowhere', 'labels: tier=edge'));
    project.git(['commit', '-q', '-am', 'edge again']);
    const details = await drover(['details']);
    assert.equal(details.code, 0, details.all);
    assert.ok(details.out.includes('Role jobs: agents labelled tier=edge: web-3, web-4, web-5'), details.out);
    assert.match(details.out, new RegExp(`Convergence \\(paused\\):\\n  web-5: sample-app to ${edgeVersion} \\(joined the label fleet of dep-`));

    // A held deploy lock keeps it waiting; once released, it converges.
    assert.equal((await drover(['lock', 'acquire', '-m', 'maintenance window'])).code, 0);
    assert.equal((await drover(['converge', 'resume'])).code, 0);
    const locked = await waiting();
    assert.deepEqual([locked?.attempts, locked?.converging], [0, null], 'never beside a held lock');
    assert.equal((await drover(['lock', 'release'])).code, 0);
    assert.equal((await drover(['converge', 'resume'])).code, 0);
    await eventually(async () => (await waiting()) === undefined, 120_000, 'web-5 converged');

    const names = (await fleet.host('web-5').docker.listContainers()).map((c) => c.Names[0]!.slice(1));
    assert.ok(names.includes(`sample-app-jobs-${edgeVersion}`), names.join(', '));
    const list = await drover(['deployments', '--json']);
    const converged = (JSON.parse(list.out) as { deployments: Array<{ id: string; performer: string; hosts: string[]; status: string }> }).deployments
      .find((d) => d.performer === 'drover converge');
    assert.deepEqual([converged?.hosts, converged?.status], [['web-5'], 'succeeded']);
    const watched = await drover(['deployments', 'watch', converged!.id]);
    assert.ok(watched.out.includes('Acquiring the deploy lock of web-5...'), watched.all);
    assert.equal((await drover(['lock', 'status'])).out.trim(), 'There is no deploy lock');
    const audit = await drover(['audit', '-h', 'web-5']);
    assert.match(audit.out, /drover converge/, audit.all);
  });
});
