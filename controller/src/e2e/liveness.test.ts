import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { adminClient, enrollAgent, eventually, removeDir, startAgent, startController, tempDir, type ControllerProc, type Proc } from './harness.js';
import type { OperatorClient } from '../client/operator-client.js';

describe('liveness: heartbeats, half-open detection, controller restarts', () => {
  let dir: string;
  let ctl: ControllerProc;
  let client: OperatorClient;
  const agents: Proc[] = [];

  before(async () => {
    dir = tempDir('e2e-live');
    ctl = await startController(join(dir, 'ctl'), { heartbeatMs: 500 });
    ({ client } = await adminClient(ctl));
    const reusable = await client.mintJoinToken({ reusable: true });
    for (const name of ['n-1', 'n-2', 'n-3']) {
      assert.equal((await enrollAgent(join(dir, name), reusable.token, ['--name', name])).code, 0);
      const a = startAgent(join(dir, name));
      agents.push(a);
      await a.waitFor(/info connected/);
    }
  });
  after(async () => {
    for (const a of agents) { a.child.kill('SIGCONT'); await a.stop(); }
    await client.close();
    await ctl.proc.stop();
    removeDir(dir);
  });

  const online = async () => (await client.listAgents()).filter((a) => a.online).map((a) => a.name).sort();

  test('a frozen agent (half-open) is dropped within two heartbeats and comes back when thawed', async () => {
    const a = agents[0]!;
    a.child.kill('SIGSTOP');
    const t0 = Date.now();
    await eventually(async () => !(await online()).includes('n-1'), 5000, 'n-1 offline');
    assert.ok(Date.now() - t0 <= 3 * 500 + 500, `took ${Date.now() - t0} ms`);
    const view = (await client.listAgents()).find((x) => x.name === 'n-1')!;
    assert.ok(view.lastSeen && view.lastSeen <= Date.now());
    await ctl.proc.waitFor(/heartbeat lost/);
    const from = a.all.length;
    a.child.kill('SIGCONT');
    await a.waitFor(/info connected/, 10_000, from);
    await eventually(async () => (await online()).includes('n-1'), 5000, 'n-1 online again');
  });

  test('a frozen controller is detected by agents, which reconnect once it thaws', async () => {
    const froms = agents.map((a) => a.all.length);
    ctl.proc.child.kill('SIGSTOP');
    try {
      await Promise.all(agents.map((a, i) => a.waitFor(/controller silent; reconnecting/, 5000, froms[i])));
    } finally {
      ctl.proc.child.kill('SIGCONT');
    }
    await Promise.all(agents.map((a, i) => a.waitFor(/info connected/, 15_000, froms[i])));
    assert.deepEqual(await eventually(async () => { const o = await online(); return o.length === 3 ? o : null; }, 10_000, 'all online'), ['n-1', 'n-2', 'n-3']);
  });

  test('a controller restart (SIGKILL, same port and data dir) brings every agent back without an operator', async () => {
    const froms = agents.map((a) => a.all.length);
    ctl.proc.child.kill('SIGKILL');
    await ctl.proc.exited;
    await Promise.all(agents.map((a, i) => a.waitFor(/disconnected/, 5000, froms[i])));
    const restarted = await startController(ctl.dataDir, { port: ctl.port, heartbeatMs: 500 });
    assert.equal(restarted.fingerprint, ctl.fingerprint, 'the generated certificate is kept in the data dir');
    ctl = restarted;
    await Promise.all(agents.map((a, i) => a.waitFor(/info connected/, 15_000, froms[i])));
    assert.deepEqual(await eventually(async () => { const o = await online(); return o.length === 3 ? o : null; }, 10_000, 'all online'), ['n-1', 'n-2', 'n-3']);
    assert.equal(((await client.rpc('n-2', 'agent.ping')) as { pong: boolean }).pong, true);
  });

  test('graceful controller shutdown (SIGTERM) closes agents with GoingAway and exits 0', async () => {
    const froms = agents.map((a) => a.all.length);
    await ctl.proc.stop('SIGTERM');
    assert.equal(ctl.proc.child.exitCode, 0);
    await Promise.all(agents.map((a, i) => a.waitFor(/GoingAway \(1001\)/, 5000, froms[i])));
    ctl = await startController(ctl.dataDir, { port: ctl.port, heartbeatMs: 500 });
    await Promise.all(agents.map((a, i) => a.waitFor(/info connected/, 15_000, froms[i])));
  });
});
