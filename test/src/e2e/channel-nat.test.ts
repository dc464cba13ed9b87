import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Proc } from '@drover/controller/e2e/harness';
import { OperatorClient } from '@drover/controller/client/operator-client';
import type { AgentView } from '@drover/controller/server/operator-api';
import { OPERATOR_ADDRESS, Rig, waitFor } from '../rig/index.js';
import { agentOnHost, drover, freePort, serveController, tcpSocketsOf, tryConnect, type RigController } from './channel-procs.js';

const HOSTS = ['edge-1', 'edge-2'] as const;
// Inside each host: /root is the host's own, so this path is per host.
const AGENT_DIR = '/root/.drover-agent';

describe('controller ⇄ agents behind NAT (rig)', () => {
  let rig: Rig;
  let dir: string;
  let port: number;
  let ctl: RigController;
  let operatorEnv: NodeJS.ProcessEnv;
  const agents = new Map<string, Proc>();

  const listAgents = async (): Promise<AgentView[]> => {
    const r = await drover(['agents', '--json'], operatorEnv);
    assert.equal(r.code, 0, r.err);
    return (JSON.parse(r.out) as { agents: AgentView[] }).agents;
  };
  const withClient = async <T>(fn: (c: OperatorClient) => Promise<T>): Promise<T> => {
    const c = new OperatorClient({ controller: ctl.url, token: operatorEnv.DROVER_TOKEN!, fingerprint: ctl.fingerprint });
    try {
      return await fn(c);
    } finally {
      await c.close();
    }
  };

  before(async () => {
    rig = await Rig.start({ hosts: [...HOSTS] });
    dir = mkdtempSync(join(tmpdir(), 'drover-channel-nat-'));
    port = await freePort(OPERATOR_ADDRESS);
    ctl = await serveController(OPERATOR_ADDRESS, port, join(dir, 'ctl'));
    const admin = await drover(['controller', 'token', 'create', '--scope', 'admin', '--data-dir', join(dir, 'ctl')]);
    assert.equal(admin.code, 0, admin.err);
    operatorEnv = { DROVER_CONFIG_DIR: join(dir, 'cfg'), DROVER_CONTROLLER: ctl.url, DROVER_TOKEN: admin.out.trim(), DROVER_FINGERPRINT: ctl.fingerprint };
  });
  after(async () => {
    await Promise.all([...agents.values()].map((a) => a.stop('SIGKILL')));
    await ctl?.proc.stop();
    await rig?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('agents enroll and connect out through the NAT gateway; the controller sees the gateway address and each host\'s dockerd', async () => {
    for (const name of HOSTS) {
      const host = rig.host(name);
      const minted = await drover(['agents', 'token', '--name', name, '--labels', `site=${name}`, '--json'], operatorEnv);
      assert.equal(minted.code, 0, minted.err);
      const { token } = JSON.parse(minted.out) as { token: string };
      // The token goes through the environment, as the installer does, to keep it out of argv.
      const enroll = agentOnHost(host, ['enroll', '--data-dir', AGENT_DIR], { DROVER_JOIN_TOKEN: token });
      assert.equal(await enroll.exited, 0, enroll.all);
      assert.match(enroll.out, new RegExp(`enrolled as ${name} .* with controller ${ctl.url.replace(/\./g, '\\.')}`));
      // The key lives in the host's own /root, 0600, and nowhere on the operator side.
      assert.equal((await host.exec(['busybox', 'stat', '-c', '%a', `${AGENT_DIR}/agent-key.pem`])).stdout.trim(), '600');
      agents.set(name, agentOnHost(host, ['run', '--data-dir', AGENT_DIR]));
    }
    await Promise.all([...agents.values()].map((a) => a.waitFor(/info connected/, 20_000)));

    const views = await waitFor('both agents online with versions', async () => {
      const list = await listAgents();
      return HOSTS.every((n) => list.find((a) => a.name === n && a.online && a.dockerVersion)) ? list : undefined;
    });
    for (const name of HOSTS) {
      const host = rig.host(name);
      const view = views.find((a) => a.name === name)!;
      assert.deepEqual(view.labels, { site: name });
      assert.equal(view.address, rig.topology.wanGatewayAddress, 'address as seen is the masquerading gateway');
      assert.notEqual(view.address, host.address);
      assert.equal(view.hostname, name);
      assert.equal(view.dockerVersion, String((await host.docker.version()).Version));
    }
    const table = await drover(['agents'], operatorEnv);
    assert.match(table.out, new RegExp(`edge-1\\s+online\\s+now\\s+site=edge-1\\s+\\S+\\s+\\S+\\s+${rig.topology.wanGatewayAddress.replace(/\./g, '\\.')}`));
  });

  test('RPC round-trip and a stream in both directions reach the agent on its host', async () => {
    await withClient(async (c) => {
      for (const name of HOSTS) {
        const info = (await c.rpc(name, 'agent.info')) as { hostname: string; docker: { version: string } | null };
        assert.equal(info.hostname, name, 'the RPC ran on the host, not on the operator side');
        assert.equal(info.docker?.version, String((await rig.host(name).docker.version()).Version));
      }
      const input = Buffer.alloc(2 * 1024 * 1024 + 5, 0x5a); // more than one flow-control window
      const echo = await c.rpcStream('edge-1', 'test.echo', {}, input, { resize: { cols: 100, rows: 30 }, timeoutMs: 30_000 });
      assert.ok(echo.output.equals(input));
      assert.deepEqual(echo.result, { bytes: input.length, notes: ['resize 100x30'] });
      const gen = await c.rpcStream('edge-2', 'test.generate', { bytes: 3_000_000, chunkBytes: 65536 }, Buffer.alloc(0), { timeoutMs: 30_000 });
      assert.equal(gen.output.length, 3_000_000);
    });
  });

  test('the controller cannot connect to an agent: the agent listens on nothing and inbound is dropped', async () => {
    for (const name of HOSTS) {
      const host = rig.host(name);
      const sockets = tcpSocketsOf(agents.get(name)!.child.pid!);
      assert.deepEqual(sockets.filter((s) => s.state === 'listen'), [], 'the agent has no listening socket');
      // Its one TCP connection goes out, from the host's LAN address to the controller.
      const out = sockets.filter((s) => s.state === 'established');
      assert.equal(out.length, 1, JSON.stringify(sockets));
      assert.equal(out[0]!.remote, `${OPERATOR_ADDRESS}:${port}`);
      assert.equal(out[0]!.local.split(':')[0], host.address);
      // From the operator side, even the agent's own connection port on the host is unreachable: the gateway drops it.
      assert.equal(await tryConnect(host.address, Number(out[0]!.local.split(':')[1])), 'timeout');
      assert.equal(await tryConnect(host.topology.publicAddress, 7443, 1_000), 'timeout');
    }
  });

  test('after the controller is killed and restarted on the same port and data dir, agents come back on their own', async () => {
    const marks = new Map([...agents].map(([n, a]) => [n, a.all.length]));
    await ctl.proc.stop('SIGKILL');
    await Promise.all([...agents].map(([n, a]) => a.waitFor(/info disconnected|warn controller silent|warn connection error/, 15_000, marks.get(n))));
    const fingerprint = ctl.fingerprint;
    ctl = await serveController(OPERATOR_ADDRESS, port, join(dir, 'ctl'));
    assert.equal(ctl.fingerprint, fingerprint, 'the generated certificate is kept');
    await Promise.all([...agents].map(([n, a]) => a.waitFor(/info connected/, 20_000, marks.get(n))));
    await waitFor('both agents online again', async () => {
      const list = await listAgents();
      return HOSTS.every((n) => list.find((a) => a.name === n && a.online && a.address === rig.topology.wanGatewayAddress)) || undefined;
    });
    const pong = (await withClient((c) => c.rpc('edge-2', 'agent.ping'))) as { pong: boolean };
    assert.equal(pong.pong, true);
  });

  test('revoke drops the live connection at once; the agent stops and the other stays online', async () => {
    const agent = agents.get('edge-2')!;
    const started = Date.now();
    const r = await drover(['agents', 'revoke', 'edge-2'], operatorEnv);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /revoked edge-2 \(its live connection was dropped\)/);
    assert.equal(await agent.exited, 3);
    assert.ok(Date.now() - started < 5_000, 'dropped without waiting for a heartbeat timeout');
    assert.match(agent.err, /RevokedAgent \(4011\)/);
    const list = await listAgents();
    assert.equal(list.find((a) => a.name === 'edge-2'), undefined);
    assert.equal(list.find((a) => a.name === 'edge-1')?.online, true);
    // Starting it again does not help: the controller refuses it for good.
    const again = agentOnHost(rig.host('edge-2'), ['run', '--data-dir', AGENT_DIR]);
    agents.set('edge-2', again);
    assert.equal(await again.exited, 3);
    assert.match(ctl.proc.all, /revoked/i);
  });
});
