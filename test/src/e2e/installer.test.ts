import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { eventually, Proc } from '@drover/controller/e2e/harness';
import { OPERATOR_ADDRESS, Rig, type RigHost } from '../rig/index.js';
import { agentRow as agentRowOf, drover, DROVER_MAIN, freePort, serveController, type RigController } from './channel-procs.js';
import { SampleProject } from './deploy-project.js';
import { agentPid, ensureAgentArtifact, INSTALL_PATHS, prepareHost, runOnHost, shellcheckInstaller, verifySystemdUnit } from './installer-host.js';

// The one line `drover agents token` prints, pasted on a fresh Docker-only host (no node: the agent is the
// single-executable artifact the controller serves), then re-run, upgraded, uninstalled; and its failures.

const HOST = 'edge-1';
/** A host that boots systemd (the rig's `bootSystemd`): the installer's service path, for real. */
const SYSTEMD_HOST = 'edge-2';
const ARTIFACT = 'drover-agent-linux-x64';

describe('installer: the printed one-liner on a Docker-only host (rig)', () => {
  let rig: Rig;
  let host: RigHost;
  let systemdHost: RigHost;
  let controller: RigController;
  let dir: string;
  let artifactsDir: string;
  let env: NodeJS.ProcessEnv;
  let project: SampleProject;
  let firstLine: string;
  let firstToken: string;
  /** The shortest-lived token there is (1 minute), minted first: it has expired by the time its test runs. */
  let shortLived: { installCommand: string; id: string; expiresAt: number };

  const mint = async (name = HOST): Promise<{ installCommand: string; token: string }> => {
    const r = await drover(['agents', 'token', '--name', name, '--json'], env);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as { installCommand: string; token: string };
  };
  /** The served script run with `args` (no token), the way the printed line fetches it. */
  const scriptWith = (args: string) => {
    const fetch = /sh -c "(\$\(curl [^"]+\))"/.exec(firstLine)?.[1];
    assert.ok(fetch, firstLine);
    return `sh -c "${fetch}" install.sh ${args}`;
  };
  const agentRow = (name = HOST) => agentRowOf(name, env);
  const appContainers = async () => (await host.docker.listContainers({ all: true, filters: { label: ['service=sample-app'] } }))
    .map((c) => ({ id: c.Id, state: c.State }));
  /** Another build served: the same executable with bytes appended (ELF ignores them), so its sum differs. */
  const serveNewBuild = (label: string): string => {
    appendFileSync(join(artifactsDir, ARTIFACT), Buffer.from(`\n${label}\n`));
    const sum = createHash('sha256').update(readFileSync(join(artifactsDir, ARTIFACT))).digest('hex');
    writeFileSync(join(artifactsDir, `${ARTIFACT}.sha256`), `${sum}  ${ARTIFACT}\n`);
    return sum;
  };
  const onHost = async (script: string, on = host) => (await on.exec(['sh', '-c', script], { check: false })).stdout.trim();

  before(async () => {
    const artifact = ensureAgentArtifact();
    dir = mkdtempSync(join(tmpdir(), 'drover-installer-'));
    artifactsDir = join(dir, 'artifacts');
    // The controller serves a copy, so the upgrade test can swap in another build.
    mkdirSync(artifactsDir);
    copyFileSync(artifact, join(artifactsDir, ARTIFACT));
    copyFileSync(`${artifact}.sha256`, join(artifactsDir, `${ARTIFACT}.sha256`));
    process.env.DROVER_ARTIFACTS_DIR = artifactsDir;
    rig = await Rig.start({ hosts: [HOST, SYSTEMD_HOST] });
    host = rig.host(HOST);
    systemdHost = rig.host(SYSTEMD_HOST);
    await systemdHost.bootSystemd();
    await Promise.all([prepareHost(host), prepareHost(systemdHost)]);
    const port = await freePort(OPERATOR_ADDRESS);
    controller = await serveController(OPERATOR_ADDRESS, port, join(dir, 'ctl'));
    const admin = await drover(['controller', 'token', 'create', '--scope', 'admin', '--data-dir', join(dir, 'ctl')]);
    assert.equal(admin.code, 0, admin.err);
    env = {
      DROVER_CONFIG_DIR: join(dir, 'cfg'), DROVER_CONTROLLER: controller.url, DROVER_TOKEN: admin.out.trim(),
      DROVER_FINGERPRINT: controller.fingerprint, DOCKER_HOST: `unix://${rig.operator.dockerSocketPath}`,
    };
    await rig.buildProxyImage();
    project = SampleProject.create(join(dir, 'app'), rig, { servers: { web: [HOST] } }, 'one');
    const short = await drover(['agents', 'token', '--name', HOST, '--ttl', '1m', '--json'], env);
    assert.equal(short.code, 0, short.err);
    shortLived = JSON.parse(short.out) as typeof shortLived;
    ({ installCommand: firstLine, token: firstToken } = await mint());
  });
  after(async () => {
    await controller?.proc.stop();
    await rig?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('install.sh and the supervisor it writes are shellcheck-clean POSIX sh', () => {
    assert.equal(shellcheckInstaller(), '');
  });

  test('the systemd unit install.sh writes loads as written (systemd-analyze verify) and restarts the agent always', () => {
    const { unit, problems } = verifySystemdUnit();
    assert.equal(problems, '');
    assert.match(unit, /^ExecStart=\/.+\/drover-agent run$/m);
    assert.match(unit, /^Restart=always$/m);
    assert.match(unit, /^EnvironmentFile=\/.+\/agent\.env$/m);
    assert.match(unit, /^TimeoutStopSec=\d+$/m);
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
  });

  test('fails loudly and installs nothing: unsupported architecture, no Docker, wrong pin', async () => {
    const mips = await runOnHost(host, firstLine, { machine: 'mips' });
    assert.notEqual(mips.code, 0);
    assert.match(mips.err, /error: unsupported architecture: mips64 \(drover-agent is built for x86_64 and aarch64\)/);

    const noDocker = await runOnHost(host, `${firstLine} --no-docker`, { env: { DOCKER_HOST: 'unix:///run/no-docker.sock' } });
    assert.notEqual(noDocker.code, 0);
    assert.match(noDocker.err, /error: Docker is not reachable at \/run\/no-docker\.sock \(--no-docker: not installing it\)/);

    const wrongPin = firstLine.replace(/sha256\/\/[A-Za-z0-9+/=]+/, `sha256//${Buffer.alloc(32).toString('base64')}`);
    const pin = await runOnHost(host, wrongPin);
    assert.equal(pin.code, 1, pin.err);
    assert.match(pin.err, /public key does not match pinned public key/);

    assert.equal(await onHost(`cd / && find ${INSTALL_PATHS.join(' ')} -mindepth 1`), '', 'nothing was installed');
    assert.equal(await agentRow(), undefined);
  });

  test('installs from the printed line: the artifact runs without node, config 0600, no token on disk, online', async () => {
    assert.match(await onHost('node --version 2>&1'), /node: Permission denied/, 'node is not usable on this host');
    const r = await runOnHost(host, firstLine);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /no systemd: drover-agent runs under \/opt\/drover-agent\/supervise/);
    assert.match(r.err, /done: drover-agent \d+\.\d+\.\d+ is running/);
    assert.ok(await agentPid(host), 'a drover-agent process runs the installed artifact');
    await eventually(async () => (await agentRow())?.online, 20_000, `${HOST} online in drover agents`);
    assert.equal(await onHost('stat -c %a /etc/drover-agent/agent.env'), '600');
    const signature = firstToken.split('.')[2]!;
    assert.equal(await onHost(`grep -rlF -- '${signature}' ${INSTALL_PATHS.join(' ')} /root; true`), '', 'the join token is on no disk');
  });

  test('deploys through the installed agent', async () => {
    const deploy = new Proc(spawn(process.execPath, [DROVER_MAIN, 'deploy'], { cwd: project.dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    assert.equal(await deploy.exited, 0, deploy.all);
    assert.deepEqual((await appContainers()).map((c) => c.state), ['running']);
  });

  test('re-running the line is idempotent: same agent process, still one agent, token not used again', async () => {
    const pid = await agentPid(host);
    const r = await runOnHost(host, firstLine);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /already enrolled/);
    assert.match(r.err, /the agent binary is already the controller's/);
    assert.equal(await agentPid(host), pid);
    const agents = (JSON.parse((await drover(['agents', '--json'], env)).out) as { agents: unknown[] }).agents;
    assert.equal(agents.length, 1);
  });

  test('--upgrade replaces the binary in place and restarts the agent only: the app container keeps running', async () => {
    const before = { pid: await agentPid(host), containers: await appContainers() };
    const sum = serveNewBuild('upgrade');
    const r = await runOnHost(host, scriptWith('--upgrade'));
    assert.equal(r.code, 0, r.err);
    assert.equal((await onHost('sha256sum /opt/drover-agent/drover-agent')).split(' ')[0], sum);
    const pid = await agentPid(host);
    assert.ok(pid && pid !== before.pid, `a new agent process (was ${before.pid}, now ${pid})`);
    await eventually(async () => (await agentRow())?.online, 20_000, `${HOST} online again`);
    assert.deepEqual(await appContainers(), before.containers);
  });

  test('--upgrade during a running deploy: the boot in progress finishes, the new agent answers its outcome, the deploy succeeds', async () => {
    // A boot that takes 25 s (the app sleeps before it listens): the upgrade stops the agent in the middle of
    // it, even when downloading and checking the 100 MB artifact is slow.
    const config = join(project.dir, 'config', 'deploy.yml');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/^deploy_timeout: \d+$/m, 'deploy_timeout: 60'));
    const v2 = project.commit('two', { startDelaySeconds: 25 });
    const deploy = new Proc(spawn(process.execPath, [DROVER_MAIN, 'deploy'], { cwd: project.dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    await deploy.waitFor(/Start container with version/, 120_000);
    const pid = await agentPid(host);
    serveNewBuild('upgrade during a deploy');
    // The agent is stopped while the boot runs; it finishes the boot first (the service manager waits for it),
    // and the controller takes the outcome from the new agent. Killed mid-boot instead, the deploy would fail.
    assert.ok(!deploy.all.includes('healthy'), `the boot is still running when the upgrade starts:\n${deploy.all}`);
    const r = await runOnHost(host, scriptWith('--upgrade'));
    assert.equal(r.code, 0, r.err);
    assert.notEqual(await agentPid(host), pid, 'the agent was replaced');
    assert.equal(await deploy.exited, 0, deploy.all);
    assert.match(deploy.all, new RegExp(`${HOST}: sample-app-web-${v2} healthy`));
    const running = await host.docker.listContainers({ filters: { label: ['service=sample-app'] } });
    assert.deepEqual(running.map((c) => c.Names[0]), [`/sample-app-web-${v2}`]);
  });

  test('--uninstall removes the agent, its config and identity, and keeps app containers', async () => {
    const containers = await appContainers();
    const r = await runOnHost(host, scriptWith('--uninstall'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /app containers and volumes were kept/);
    assert.equal(await agentPid(host), null);
    assert.equal(await onHost(`find ${INSTALL_PATHS.join(' ')} /run -mindepth 1 -name '*drover*'; find ${INSTALL_PATHS.join(' ')} -mindepth 1`), '', 'binary, config, identity and pid file are gone');
    assert.deepEqual(await appContainers(), containers);
    await eventually(async () => (await agentRow())?.online === false, 20_000, `${HOST} offline`);
  });

  test('a used join token fails with the controller\'s message and starts nothing', async () => {
    const r = await runOnHost(host, firstLine);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /the controller refused: this join token was already used/);
    assert.match(r.err, /error: enrollment failed/);
    assert.equal(await agentPid(host), null);
  });

  test('an expired join token fails with its expiry and starts nothing', async () => {
    // Minted in `before` with the shortest TTL: the tests before this one take about that long.
    await eventually(async () => Date.now() > shortLived.expiresAt + 1_000, 90_000, 'the 1-minute token expired');
    const listed = await drover(['agents', 'token', 'list', '--all', '--json'], env);
    assert.equal((JSON.parse(listed.out) as { tokens: { id: string; status: string }[] }).tokens.find((t) => t.id === shortLived.id)?.status, 'expired');
    const r = await runOnHost(host, shortLived.installCommand);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /this join token expired at \d{4}-\d\d-\d\dT[\d:.]+Z; mint a new one/);
    assert.equal(await agentPid(host), null);
    assert.equal(await onHost(`find ${INSTALL_PATHS.join(' ')} -mindepth 1 -name '*identity*'`), '', 'no identity was made');
  });

  test('--uninstall --purge also removes the app containers and kamal-proxy', async () => {
    assert.ok((await appContainers()).length > 0);
    const r = await runOnHost(host, scriptWith('--uninstall --purge'));
    assert.equal(r.code, 0, r.err);
    // Both app versions (the first one stopped) and kamal-proxy.
    assert.match(r.err, /--purge: removed 3 containers/);
    assert.deepEqual(await appContainers(), []);
    assert.deepEqual(await host.docker.listContainers({ all: true, filters: { name: ['^/kamal-proxy$'] } }), []);
    assert.equal(await onHost(`find ${INSTALL_PATHS.join(' ')} -mindepth 1`), '');
  });

  describe('on a host that runs systemd', () => {
    const unit = (property: string) => onHost(`systemctl show -p ${property} --value drover-agent`, systemdHost);

    test('the line installs, enables and starts the unit; the agent comes online', async () => {
      const { installCommand } = await mint(SYSTEMD_HOST);
      const r = await runOnHost(systemdHost, installCommand);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /drover-agent runs as the systemd service drover-agent/);
      assert.equal(await onHost('systemctl is-enabled drover-agent', systemdHost), 'enabled');
      assert.equal(await unit('ActiveState'), 'active');
      const pid = await agentPid(systemdHost);
      assert.ok(pid, 'the unit runs the installed artifact');
      assert.equal(await unit('MainPID'), String(pid));
      await eventually(async () => (await agentRow(SYSTEMD_HOST))?.online, 20_000, `${SYSTEMD_HOST} online in drover agents`);
      // Where the installer points for the agent's log.
      assert.match(await onHost('journalctl -u drover-agent --no-pager -o cat', systemdHost), /connected/);
    });

    test('Restart=always: a killed agent is started again and comes back online', async () => {
      const pid = await agentPid(systemdHost);
      await onHost(`kill -KILL ${pid}`, systemdHost);
      await eventually(async () => (await unit('NRestarts')) === '1' && (await unit('ActiveState')) === 'active', 20_000, 'systemd restarted the agent');
      const restarted = await agentPid(systemdHost);
      assert.ok(restarted && restarted !== pid, `a new agent process (was ${pid}, now ${restarted})`);
      await eventually(async () => (await agentRow(SYSTEMD_HOST))?.online, 20_000, `${SYSTEMD_HOST} online again`);
    });

    test('--upgrade restarts the unit on the new binary', async () => {
      const pid = await agentPid(systemdHost);
      const sum = serveNewBuild('upgrade under systemd');
      const r = await runOnHost(systemdHost, scriptWith('--upgrade'));
      assert.equal(r.code, 0, r.err);
      assert.equal((await onHost('sha256sum /opt/drover-agent/drover-agent', systemdHost)).split(' ')[0], sum);
      const upgraded = await agentPid(systemdHost);
      assert.ok(upgraded && upgraded !== pid, `a new agent process (was ${pid}, now ${upgraded})`);
      assert.equal(await unit('MainPID'), String(upgraded));
      await eventually(async () => (await agentRow(SYSTEMD_HOST))?.online, 20_000, `${SYSTEMD_HOST} online after the upgrade`);
    });

    test('--uninstall stops and disables the unit and removes its file', async () => {
      const r = await runOnHost(systemdHost, scriptWith('--uninstall'));
      assert.equal(r.code, 0, r.err);
      assert.equal(await agentPid(systemdHost), null);
      assert.equal(await onHost('systemctl list-unit-files drover-agent.service --no-legend | wc -l', systemdHost), '0');
      assert.equal(await onHost('ls /etc/systemd/system/drover-agent.service /etc/systemd/system/multi-user.target.wants/ 2>/dev/null | grep -c drover; true', systemdHost), '0');
      await eventually(async () => (await agentRow(SYSTEMD_HOST))?.online === false, 20_000, `${SYSTEMD_HOST} offline`);
    });
  });
});
