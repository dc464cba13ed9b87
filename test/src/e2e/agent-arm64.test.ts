import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { run, foreignSysroot } from '../rig/index.js';
import { eventually, type Proc } from '@drover/controller/e2e/harness';
import { agentBinaryOnHost } from './channel-procs.js';
import { Fleet } from './fleet.js';
import { SampleProject } from './deploy-project.js';
import { ensureAgentArtifact } from './installer-host.js';

// The arm64 agent artifact is a working agent. On this x86_64 machine it runs under qemu's user-mode
// emulation (Debian's qemu-user-static, with Debian's arm64 C and C++ runtime) inside a rig host: it enrolls
// with a join token over the real channel, comes online, reports arm64, and takes a deploy. What emulation
// cannot show (speed and memory on arm64 hardware) is not claimed here.

const HOST = 'arm-1';
const AGENT_DIR = '/root/.drover-agent';
const EM_AARCH64 = 183;

/** The ELF header's machine field (e_machine, little-endian at offset 18). */
function elfMachine(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(20);
    readSync(fd, header, 0, 20, 0);
    assert.equal(header.subarray(0, 4).toString('latin1'), '\x7fELF', `${path} is not an ELF file`);
    return header.readUInt16LE(18);
  } finally {
    closeSync(fd);
  }
}

describe('the arm64 agent artifact, under user-mode emulation (rig)', () => {
  let fleet: Fleet;
  let artifact: string;
  let emulated: string[];
  let agent: Proc | undefined;

  before(async () => {
    artifact = ensureAgentArtifact('arm64');
    emulated = ['/usr/bin/qemu-aarch64-static', '-L', await foreignSysroot('arm64'), artifact];
    fleet = await Fleet.start([HOST], { enrolled: [] });
    await fleet.rig.buildProxyImage();
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    await fleet?.stop();
  });

  test('is an aarch64 executable that runs: `drover-agent version`', async () => {
    assert.equal(elfMachine(artifact), EM_AARCH64);
    const r = await run([...emulated, 'version'], { timeoutMs: 60_000 });
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  test('enrolls with a join token over the channel, comes online and reports arm64', async () => {
    const minted = await fleet.run(['agents', 'token', '--name', HOST, '--json'], fleet.dir);
    assert.equal(minted.code, 0, minted.err);
    const token = (JSON.parse(minted.out) as { token: string }).token;
    const enroll = agentBinaryOnHost(fleet.host(HOST), emulated, ['enroll', '--data-dir', AGENT_DIR], { DROVER_JOIN_TOKEN: token });
    assert.equal(await enroll.exited, 0, enroll.all);
    agent = agentBinaryOnHost(fleet.host(HOST), emulated, ['run', '--data-dir', AGENT_DIR]);
    await agent.waitFor(/info connected/, 120_000);
    // The host facts of its first inventory report.
    await eventually(async () => {
      const r = await fleet.run(['agents', 'inventory', HOST, '--json'], fleet.dir);
      return r.code === 0 && /"arch": "arm64"/.test(r.out);
    }, 60_000, `${HOST}'s inventory reports arm64`);
  });

  test('takes a deploy', async () => {
    const project = SampleProject.create(join(fleet.dir, 'app'), fleet.rig, { servers: { web: [HOST] } }, 'one');
    const deploy = await fleet.run(['deploy'], project.dir);
    assert.equal(deploy.code, 0, deploy.all);
    const running = await fleet.host(HOST).docker.listContainers({ filters: { label: ['service=sample-app'] } });
    assert.equal(running.length, 1);
  });
});
