import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { eventually } from '@drover/controller/e2e/harness';
import type { RigHost } from '../rig/index.js';
import { agentRow } from './channel-procs.js';
import { Fleet } from './fleet.js';
import { SampleProject } from './deploy-project.js';
import { agentPid, ensureAgentArtifact, INSTALL_PATHS, prepareHost, runOnHost } from './installer-host.js';

// A server with nothing but its distribution and systemd: the line `drover agents token` prints installs
// Docker from the distribution's packages (apt, here from the rig's local archive: tests reach no mirror),
// enables and starts it, then the agent as a systemd service; the host then takes a deploy on that Docker.

const HOST = 'bare-1';

describe('installer: a host without Docker (rig)', () => {
  let fleet: Fleet;
  let host: RigHost;
  const mintLine = async () => {
    const minted = await fleet.run(['agents', 'token', '--name', HOST, '--json'], fleet.dir);
    assert.equal(minted.code, 0, minted.err);
    return (JSON.parse(minted.out) as { installCommand: string }).installCommand;
  };
  const onHost = async (script: string) => (await host.exec(['sh', '-c', script], { check: false, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } })).stdout.trim();

  before(async () => {
    ensureAgentArtifact();
    fleet = await Fleet.start([HOST], { enrolled: [], dockerless: [HOST] });
    host = fleet.host(HOST);
    await host.bootSystemd();
    await prepareHost(host);
    await fleet.rig.buildProxyImage();
  });
  after(async () => {
    await fleet?.stop();
  });

  test('the host starts without Docker', async () => {
    assert.equal(await onHost('command -v dockerd docker; ls /var/run/docker.sock 2>/dev/null; true'), '');
  });

  test('apt that cannot reach its archive: the line fails with apt\'s message and installs nothing', async () => {
    const r = await runOnHost(host, await mintLine(), { machine: 'apt-unreachable' });
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /E: Failed to fetch .*\ndrover-install: error: apt-get update failed \(above\); Docker was not installed/);
    assert.equal(await onHost(`command -v dockerd; find ${INSTALL_PATHS.join(' ')} -mindepth 1; true`), '');
  });

  test('the printed line installs Docker from the distribution\'s packages, enables and starts it, then the agent', async () => {
    const r = await runOnHost(host, await mintLine());
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /Docker is not reachable; installing it from the distribution's packages/);
    assert.equal(await onHost('systemctl is-enabled docker; systemctl is-active docker'), 'enabled\nactive');
    assert.match(await onHost("docker version --format '{{.Server.Version}}'"), /^\d+\.\d+\.\d+/);
    assert.equal(await onHost('systemctl is-active drover-agent'), 'active');
    assert.ok(await agentPid(host));
    await eventually(async () => (await agentRow(HOST, fleet.env))?.online, 20_000, `${HOST} online`);
  });

  test('takes a deploy on the Docker it installed', async () => {
    const project = SampleProject.create(join(fleet.dir, 'app'), fleet.rig, { servers: { web: [HOST] } }, 'one');
    const deploy = await fleet.run(['deploy'], project.dir);
    assert.equal(deploy.code, 0, deploy.all);
    assert.match(await onHost("docker ps --filter label=service=sample-app --format '{{.Names}}'"), /^sample-app-web-[0-9a-f]+$/);
  });
});
