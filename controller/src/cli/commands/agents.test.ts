import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AgentInventory } from '../../server/operator-api.js';
import { adminClient, removeDir, run, startController, tempDir, CONTROLLER_MAIN, type ControllerProc } from '../../e2e/harness.js';
import { RawConn, enrollRaw, handshake } from '../../e2e/raw-agent.js';
import type { OperatorClient } from '../../client/operator-client.js';
import { formatInventoryTable } from './agents.js';

const container = (name: string, kind: string, role: string | null, version: string | null, state: string, health: string) => ({
  id: `${name}-id`, name, kind, service: kind === 'proxy' ? null : 'sample-app', role, destination: null, version, image: `reg/sample-app:${version}`, state, health, createdAt: 1,
});

/** What an agent on a host with two app versions, an accessory and kamal-proxy reports. */
const INVENTORY = {
  t: 'inventory', hostname: 'web-1', agentVersion: 'raw', os: 'linux', arch: 'x64', docker: { version: '27.0.0', apiVersion: '1.46' }, containers: [],
  managed: {
    collectedAt: '2025-01-01T00:00:00.000Z',
    containers: [
      container('sample-app-web-v2', 'app', 'web', 'v2', 'running', 'healthy'),
      container('sample-app-web-v1', 'app', 'web', 'v1', 'exited', 'none'),
      container('sample-app-db', 'accessory', null, null, 'running', 'none'),
    ],
    proxy: container('kamal-proxy', 'proxy', null, 'v0.9.2', 'running', 'none'),
    truncated: false,
  },
};

describe('drover agents inventory (real controller, hand-driven agent)', () => {
  let dir: string;
  let ctl: ControllerProc;
  let client: OperatorClient;
  let env: NodeJS.ProcessEnv;
  let conn: RawConn;

  before(async () => {
    dir = tempDir('cli-inventory');
    ctl = await startController(join(dir, 'ctl'));
    const admin = await adminClient(ctl);
    client = admin.client;
    env = { DROVER_CONFIG_DIR: join(dir, 'cfg'), DROVER_CONTROLLER: ctl.url, DROVER_TOKEN: admin.token, DROVER_FINGERPRINT: ctl.fingerprint };
    for (const name of ['web-1', 'web-2']) {
      const e = await enrollRaw(ctl.url, ctl.fingerprint, (await client.mintJoinToken({ name })).token);
      assert.equal(e.status, 201);
      if (name === 'web-2') continue; // enrolled, never connected
      conn = new RawConn(ctl.url, ctl.fingerprint);
      await handshake(conn, e.identity!);
      assert.equal((await conn.next()).t, 'welcome');
      conn.send(INVENTORY);
    }
    // The inventory is recorded once the controller has read the frame.
    for (let i = 0; i < 100 && !(await client.inventory('web-1').catch(() => null)); i++) await new Promise((r) => setTimeout(r, 50));
  });
  after(async () => {
    conn?.close();
    await client?.close();
    await ctl?.proc.stop();
    if (dir) removeDir(dir);
  });

  test('prints one row per managed container, then kamal-proxy', async () => {
    const r = await run(CONTROLLER_MAIN, ['agents', 'inventory', 'web-1'], env);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trimEnd().split('\n').map((l) => l.split(/\s{2,}/)), [
      ['CONTAINER', 'KIND', 'ROLE', 'VERSION', 'STATE', 'HEALTH'],
      ['sample-app-web-v2', 'app', 'web', 'v2', 'running', 'healthy'],
      ['sample-app-web-v1', 'app', 'web', 'v1', 'exited', '-'],
      ['sample-app-db', 'accessory', '-', '-', 'running', '-'],
      ['kamal-proxy', 'proxy', '-', 'v0.9.2', 'running', '-'],
    ]);
  });

  test('--json is the API\'s answer, as is', async () => {
    const r = await run(CONTROLLER_MAIN, ['agents', 'inventory', 'web-1', '--json'], env);
    assert.equal(r.code, 0, r.err);
    const parsed = AgentInventory.parse(JSON.parse(r.out));
    assert.deepEqual([parsed.name, parsed.online, parsed.inventory.hostname], ['web-1', true, 'web-1']);
    assert.deepEqual(parsed.inventory.managed?.containers.map((c) => c.name), ['sample-app-web-v2', 'sample-app-web-v1', 'sample-app-db']);
    assert.equal(parsed.inventory.managed?.proxy?.name, 'kamal-proxy');
  });

  test('an offline or unknown agent, and bad usage, are errors a person reads', async () => {
    const offline = await run(CONTROLLER_MAIN, ['agents', 'inventory', 'web-2'], env);
    assert.equal(offline.code, 1);
    assert.match(offline.err, /^drover: controller: agent web-2 is not connected/m);
    assert.doesNotMatch(offline.err, /\n\s+at /, 'no stack trace');
    const unknown = await run(CONTROLLER_MAIN, ['agents', 'inventory', 'nope'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no enrolled agent named nope/);
    for (const args of [['agents', 'inventory'], ['agents', 'inventory', 'a', 'b'], ['agents', 'inventory', 'web-1', '--bogus']]) {
      const bad = await run(CONTROLLER_MAIN, args, env);
      assert.equal(bad.code, 64, `${args.join(' ')}: ${bad.err}`);
      assert.match(bad.err, /drover agents inventory NAME/);
    }
  });
});

test('formatInventoryTable: no Docker, nothing managed, truncated', () => {
  const base = { name: 'h', online: true, inventory: AgentInventory.shape.inventory.parse({ ...INVENTORY, managed: null }) };
  assert.match(formatInventoryTable(base), /^h: the agent reported no managed containers/);
  const empty = AgentInventory.parse({ ...base, inventory: { ...INVENTORY, managed: { ...INVENTORY.managed, containers: [], proxy: null } } });
  assert.equal(formatInventoryTable(empty), 'h: no managed containers');
  const truncated = AgentInventory.parse({ ...base, inventory: { ...INVENTORY, managed: { ...INVENTORY.managed, truncated: true } } });
  assert.match(formatInventoryTable(truncated), /\n\(only the newest 3 containers were reported\)$/);
});
