import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@drover/controller/e2e/harness';
import { SampleProject } from './deploy-project.js';
import { agentRow } from './channel-procs.js';
import { Fleet } from './fleet.js';
import { httpGet } from './http-get.js';
import { startLoad, type LoadTally } from './load.js';

// Issue 12 item 5, deployments that survive faults, on four NAT'd hosts under load. Each new version
// sleeps 6 s before it listens, so every fault lands in the middle of a boot: a host's network cut and
// restored, an agent killed with SIGKILL and restarted, the controller killed and restarted. The service
// keeps answering through every proxy that was not cut off, nothing half-done goes unreported, and the
// lock is free afterwards.

const WEB = ['web-1', 'web-2', 'web-3', 'web-4'];

describe('faults during a deployment (rig, 4 hosts, under load)', () => {
  let fleet: Fleet;
  let project: SampleProject;
  const urls = new Map<string, string>();

  const drover = (args: string[]) => fleet.run(args, project.dir);
  const versions = async () => Promise.all(WEB.map(async (host) => {
    const r = await httpGet(`${urls.get(host)}/version`, 5_000);
    return r.status === 200 ? r.body.trim() : `HTTP ${r.status}`;
  }));
  /** Runs `drover deploy` while load goes to every proxy; `fault` runs once the boots have started. */
  const deployWithFault = async (fault: () => Promise<void>) => {
    const load = startLoad(WEB.map((h) => `${urls.get(h)}/version`), { ratePerSecond: 160 });
    let tally: LoadTally;
    const cli = fleet.spawn(['deploy'], project.dir);
    try {
      await cli.waitFor(/Start container with version/, 180_000);
      await fault();
      await cli.exited;
    } finally {
      tally = await load.stop();
    }
    console.log(`# load: ${tally.ok} requests in ${tally.seconds.toFixed(1)} s, ${tally.failed.length} failed`);
    return { cli, tally };
  };
  const lockIsFree = async () => assert.equal((await drover(['lock', 'status'])).out.trim(), 'There is no deploy lock');
  const online = async (host: string) => (await agentRow(host, fleet.env))?.online;

  before(async () => {
    fleet = await Fleet.start(WEB);
    await fleet.rig.buildProxyImage();
    project = SampleProject.create(join(fleet.dir, 'app'), fleet.rig, { servers: { web: WEB } }, 'one');
    const first = await drover(['deploy']);
    assert.equal(first.code, 0, first.all);
    for (const host of WEB) urls.set(host, `http://${await fleet.host(host).publish([80])}`);
  });
  after(async () => {
    await fleet?.stop();
  });

  test('a host cut off the network mid-boot and plugged back: its call is repeated once the agent is back, the deploy succeeds', async () => {
    project.commit('two', { startDelaySeconds: 6 });
    const host = fleet.host('web-2');
    const { cli, tally } = await deployWithFault(async () => {
      await host.cutNetwork();
      try {
        await eventually(async () => (await online('web-2')) === false, 30_000, 'the controller sees web-2 gone');
      } finally {
        await host.restoreNetwork();
      }
    });
    assert.equal(await cli.exited, 0, cli.all);
    assert.deepEqual(tally.failed.filter((f) => !f.startsWith(urls.get('web-2')!)), [], 'no request failed on the hosts that were not cut off');
    assert.deepEqual(await versions(), ['two', 'two', 'two', 'two']);
    await lockIsFree();
  });

  test('an agent killed (SIGKILL) mid-boot: the interrupted boot is reported, not repeated blind, and every host goes back to the previous version', async () => {
    const three = project.commit('three', { startDelaySeconds: 6 });
    const { cli, tally } = await deployWithFault(async () => {
      // Killed once its boot has created the new container (the app then sleeps 6 s before it listens).
      const docker = fleet.host('web-3').docker;
      await eventually(async () => (await docker.listContainers({ all: true })).some((c) => c.Names[0] === `/sample-app-web-${three}`), 60_000, 'the boot on web-3 created its container');
      await fleet.stopAgent('web-3');
      await fleet.startAgent('web-3');
    });
    assert.equal(await cli.exited, 1, cli.all);
    assert.deepEqual(tally.failed, [], 'the proxies kept serving while the agent was down');
    assert.match(cli.err, /ERROR web-3: app\.boot was interrupted: the agent stopped while it ran/);
    assert.match(cli.err, /web-3: rolled back \(web on \w+\)/, 'the interrupted host is taken back too: it may have switched');
    assert.deepEqual(await versions(), ['two', 'two', 'two', 'two']);
    await lockIsFree();
  });

  test('the controller killed mid-boot and restarted: the deployment ends failed naming the steps under way, the lock is free, nothing stopped serving', async () => {
    const four = project.commit('four', { startDelaySeconds: 6 });
    const { cli, tally } = await deployWithFault(async () => {
      // Killed once every host's boot has created its container (the app then sleeps 6 s before it
      // listens): the controller has recorded those boots as under way by then.
      for (const host of WEB) {
        const docker = fleet.host(host).docker;
        await eventually(async () => (await docker.listContainers({ all: true })).some((c) => c.Names[0] === `/sample-app-web-${four}`), 60_000, `the boot on ${host} created its container`);
      }
      await fleet.restartController();
    });
    assert.equal(await cli.exited, 1, cli.all);
    assert.deepEqual(tally.failed, [], 'the proxies kept serving while the controller was down');
    assert.match(cli.err, /the controller stopped during this deployment/);
    for (const host of WEB) assert.match(cli.err, new RegExp(`${host}: app\\.boot was in progress`), cli.all);
    await lockIsFree();
    // The agents finished their boots on their own: the version is one of the two, never a broken one.
    for (const v of await versions()) assert.ok(v === 'two' || v === 'four', v);
    const again = await drover(['deploy']);
    assert.equal(again.code, 0, again.all);
    assert.deepEqual(await versions(), ['four', 'four', 'four', 'four']);
  });

  test('x-drover/offline: skip deploys the connected agents and names the one left out, which converges when it is back; wait waits for it', async () => {
    await fleet.stopAgent('web-4');
    await eventually(async () => (await online('web-4')) === false, 30_000, 'web-4 offline');
    const config = join(project.dir, 'config', 'deploy.yml');
    appendFileSync(config, 'x-drover:\n  offline: skip\n');
    project.commit('five');
    const skipped = await drover(['deploy']);
    assert.equal(skipped.code, 0, skipped.all);
    assert.match(skipped.out, /Skipping agents that are not connected: web-4 \(last seen \d{4}-\d\d-\d\dT[\d:.]+Z\)/);
    assert.deepEqual(await versions(), ['five', 'five', 'five', 'four'], 'web-4 kept serving its version');
    const deploymentsNow = async () => (JSON.parse((await drover(['deployments', '--json'])).out) as { deployments: Array<{ status: string; skippedHosts: string[]; performer: string; hosts: string[]; version: string }> }).deployments;
    const [latest] = await deploymentsNow();
    assert.deepEqual([latest?.status, latest?.skippedHosts], ['succeeded', ['web-4']]);

    // Back online, web-4 is brought to the version it missed, by a deployment the controller runs itself
    // (once convergence is resumed: paused, a host that comes back only waits).
    const paused = await drover(['converge', 'pause']);
    assert.equal(paused.code, 0, paused.all);
    await fleet.startAgent('web-4');
    await eventually(async () => (await online('web-4')) === true, 30_000, 'web-4 online');
    const waiting = await drover(['converge', 'status']);
    assert.match(waiting.out, /^Convergence is paused\nweb-4: sample-app to \w+ \(skipped by dep-/, waiting.all);
    assert.equal((await drover(['converge', 'resume'])).code, 0);
    const converging = async () => (await deploymentsNow()).find((d) => d.performer === 'drover converge');
    await eventually(async () => (await converging())?.status === 'succeeded', 90_000, 'a convergence deployment for web-4 succeeded');
    const converged = await converging();
    assert.deepEqual([converged?.hosts, converged?.version], [['web-4'], latest?.version]);
    assert.deepEqual(await versions(), ['five', 'five', 'five', 'five']);
    await lockIsFree();

    await fleet.stopAgent('web-4');
    await eventually(async () => (await online('web-4')) === false, 30_000, 'web-4 offline again');
    writeFileSync(config, readFileSync(config, 'utf8').replace('offline: skip', 'offline: wait\n  agent_timeout: 120'));
    project.commit('six');
    const cli = fleet.spawn(['deploy'], project.dir);
    await cli.waitFor(/Waiting up to 120s for agents to connect: web-4/, 180_000);
    await fleet.startAgent('web-4');
    assert.equal(await cli.exited, 0, cli.all);
    assert.ok(cli.out.includes('Agents connected: web-4'), cli.all);
    assert.deepEqual(await versions(), ['six', 'six', 'six', 'six']);
    await lockIsFree();
  });
});
