import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, Proc } from '@drover/controller/e2e/harness';
import { Rig, type RigHost } from '../rig/index.js';
import { agentRow, drover, DROVER_MAIN } from './channel-procs.js';
import { SampleProject } from './deploy-project.js';
import { agentPid, ensureAgentArtifact, prepareHost, runOnHost } from './installer-host.js';

// README's "Production", for real: `drover controller install` on a VM that runs systemd, the operator logging
// in from their own machine through the VM's forwarded port, a host joining with the printed line and taking a
// deploy; the service restarted after a crash with its identity, installed again without a second token, and
// backed up while it runs.

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
/** Where the VM has this checkout, as an operator would put it (the service could not see one under /tmp). */
const VM_CHECKOUT = '/opt/drover';
const VM = 'vm-1';
const EDGE = 'edge-1';
const PORT = 7443;
const DATA_DIR = '/var/lib/drover';

describe('the controller as a systemd service on a VM (rig)', () => {
  let rig: Rig;
  let vm: RigHost;
  let edge: RigHost;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let fingerprint: string;

  const onVm = (argv: string[]) => vm.exec(argv, { check: false, timeoutMs: 60_000 });
  const droverOnVm = (args: string[]) => onVm([process.execPath, join(VM_CHECKOUT, relative(REPO, DROVER_MAIN)), ...args]);
  const unit = async (property: string) => (await onVm(['systemctl', 'show', '-p', property, '--value', 'drover-controller'])).stdout.trim();
  const install = () => droverOnVm(['controller', 'install', '--listen', `0.0.0.0:${PORT}`, '--public-url', `https://${vm.address}:${PORT}`]);
  const edgeOnline = async () => (await agentRow(EDGE, env))?.online;

  before(async () => {
    ensureAgentArtifact();
    dir = mkdtempSync(join(tmpdir(), 'drover-controller-service-'));
    rig = await Rig.start({ hosts: [VM, EDGE] });
    vm = rig.host(VM);
    edge = rig.host(EDGE);
    // The VM runs the controller from this checkout (node and the repository, as after `npm run install-cli`).
    await vm.bootSystemd([[REPO, VM_CHECKOUT]]);
    await prepareHost(edge);
    await rig.buildProxyImage();
    env = { DROVER_CONFIG_DIR: join(dir, 'cfg'), DOCKER_HOST: `unix://${rig.operator.dockerSocketPath}` };
  });
  after(async () => {
    await rig?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('drover controller install: the unit is enabled and running, the data dir 0700, the fingerprint and a first admin token printed', async () => {
    const r = await install();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /drover-controller\.service is enabled and started/);
    fingerprint = /TLS public-key fingerprint: (sha256:[0-9a-f]{64})/.exec(r.stderr)?.[1] ?? '';
    assert.ok(fingerprint, r.stderr);
    const token = r.stdout.trim();
    assert.match(r.stderr, new RegExp(`drover login https://${vm.address.replace(/\./g, '\\.')}:${PORT} --fingerprint ${fingerprint} --token <token>`));
    assert.equal((await onVm(['systemctl', 'is-enabled', 'drover-controller'])).stdout.trim(), 'enabled');
    assert.equal(await unit('ActiveState'), 'active');
    assert.equal((await onVm(['stat', '-c', '%a', DATA_DIR])).stdout.trim(), '700');

    // From the operator's machine: the VM's port forwarded, as a cloud VM's public address.
    const publicAddress = await vm.publish([PORT]);
    await eventually(async () => {
      const login = await drover(['login', `https://${publicAddress}:${PORT}`, '--fingerprint', fingerprint, '--token', token], env);
      return login.code === 0;
    }, 20_000, 'drover login to the service');
    const agents = await drover(['agents', '--json'], env);
    assert.equal(agents.code, 0, agents.err);
    assert.deepEqual((JSON.parse(agents.out) as { agents: unknown[] }).agents, []);
  });

  test('a host joins with the line `drover agents token` prints and takes a deploy', async () => {
    const minted = await drover(['agents', 'token', '--name', EDGE, '--json'], env);
    assert.equal(minted.code, 0, minted.err);
    const { installCommand } = JSON.parse(minted.out) as { installCommand: string };
    assert.ok(installCommand.includes(`https://${vm.address}:${PORT}`), installCommand);
    const r = await runOnHost(edge, installCommand);
    assert.equal(r.code, 0, r.err);
    await eventually(edgeOnline, 20_000, `${EDGE} online`);

    const project = SampleProject.create(join(dir, 'app'), rig, { servers: { web: [EDGE] } }, 'one');
    const deploy = new Proc(spawn(process.execPath, [DROVER_MAIN, 'deploy'], { cwd: project.dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    assert.equal(await deploy.exited, 0, deploy.all);
    const running = await edge.docker.listContainers({ filters: { label: ['service=sample-app'] } });
    assert.equal(running.length, 1);
  });

  test('Restart=always: a killed controller is started again with its identity and data; the agent reconnects', async () => {
    const pid = await unit('MainPID');
    assert.ok(Number(pid) > 0, pid);
    await onVm(['kill', '-KILL', pid]);
    await eventually(async () => (await unit('NRestarts')) === '1' && (await unit('ActiveState')) === 'active', 20_000, 'systemd restarted the controller');
    assert.notEqual(await unit('MainPID'), pid);
    // The same login (pinned fingerprint, token) works, and the deployment made before is still recorded.
    await eventually(edgeOnline, 30_000, `${EDGE} online again`);
    const deployments = await drover(['deployments', '--json'], env);
    assert.equal(deployments.code, 0, deployments.err);
    assert.equal((JSON.parse(deployments.out) as { deployments: { status: string }[] }).deployments[0]?.status, 'succeeded');
    assert.ok(await agentPid(edge), 'the agent on the host kept running');
  });

  test('installing again keeps the data and shows no second admin token', async () => {
    const r = await install();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /the first admin token was shown when the controller was installed/);
    assert.ok(r.stderr.includes(`TLS public-key fingerprint: ${fingerprint}`), r.stderr);
    await eventually(edgeOnline, 30_000, `${EDGE} online after the reinstall`);
  });

  test('drover controller backup while the service runs; the copy restores with the same identity', async () => {
    const backup = await droverOnVm(['controller', 'backup', '/root/controller.backup', '--data-dir', DATA_DIR]);
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /^backed up controller \S+ \(schema \d+: .+\) from \/var\/lib\/drover to \/root\/controller\.backup$/m);
    const restore = await droverOnVm(['controller', 'restore', '/root/controller.backup', '--data-dir', '/root/restored']);
    assert.equal(restore.code, 0, restore.stderr);
    assert.ok(restore.stdout.includes(`(TLS fingerprint ${fingerprint})`), restore.stdout);
    assert.equal(await unit('ActiveState'), 'active');
  });
});
