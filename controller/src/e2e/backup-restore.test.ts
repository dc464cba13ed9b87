import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OperatorClient } from '../client/operator-client.js';
import type { DeploymentRequest } from '../server/deployments-api.js';
import { adminClient, CONTROLLER_MAIN, eventually, removeDir, run, startController, tempDir, type ControllerProc } from './harness.js';
import { RawConn, enrollRaw, handshake, type RawIdentity } from './raw-agent.js';
import { deployResultOf, SHOP_HEAD } from './shop-fixtures.js';

// `drover controller backup` while a real controller takes deployments and mints tokens, then
// `restore` into a new dir and a controller started on it: same identity, same tokens, same agents.

const DEPLOY_YML = `${SHOP_HEAD}servers:
  web: [web-1]
`;

/** A protocol-level agent that answers every deploy operation with success. */
async function answeringAgent(ctl: ControllerProc, identity: RawIdentity): Promise<RawConn> {
  const conn = new RawConn(ctl.url, ctl.fingerprint);
  await handshake(conn, identity);
  assert.equal((await conn.next()).t, 'welcome');
  conn.ws.on('message', (data) => {
    const req = JSON.parse(data.toString()) as { t: string; id: string; method: string; params: Record<string, unknown> };
    if (req.t === 'req') conn.send({ t: 'res', id: req.id, ok: true, result: deployResultOf(req.method, req.params) });
  });
  return conn;
}

const deployment = (version: string): DeploymentRequest => ({
  command: 'deploy', files: [{ name: 'config/deploy.yml', content: DEPLOY_YML }], version,
  secrets: { KAMAL_REGISTRY_PASSWORD: 'reg-pw' }, performer: 'ops@acme.test', lockHolder: 'Ops',
});

async function deployed(client: OperatorClient, version: string): Promise<string> {
  const d = await client.submitDeployment(deployment(version));
  let last: { type?: string; status?: string } | undefined;
  for await (const e of client.followDeployment(d.id)) last = e.event as typeof last;
  assert.deepEqual([last?.type, last?.status], ['end', 'succeeded']);
  return d.id;
}

describe('controller backup and restore (real controllers)', () => {
  let dir: string;
  let original: ControllerProc;
  let restored: ControllerProc | undefined;
  const conns: RawConn[] = [];
  before(() => { dir = tempDir('e2e-backup'); });
  after(async () => {
    for (const c of conns) c.close();
    await original?.proc.stop();
    await restored?.proc.stop();
    removeDir(dir);
  });

  test('a backup taken while deployments and tokens are written restores to a controller with the same fingerprint, tokens and agents', async () => {
    original = await startController(join(dir, 'original'));
    const { client, token: adminToken } = await adminClient(original);
    const web1 = (await enrollRaw(original.url, original.fingerprint, (await client.mintJoinToken({ name: 'web-1' })).token)).identity!;
    conns.push(await answeringAgent(original, web1));
    const spareJoin = await client.mintJoinToken({ name: 'web-2', ttlSeconds: 3600 });

    // Writers run until the backup is done; what they finished before it started must be in it.
    const done = { deployments: [] as string[], joinTokens: [] as string[] };
    let writing = true;
    const writer = (async () => {
      for (let i = 1; writing; i++) {
        done.joinTokens.push((await client.mintJoinToken({ name: `pool-${i}` })).id);
        done.deployments.push(await deployed(client, `v${i}`));
      }
    })();
    await eventually(() => done.deployments.length >= 2, 20_000, 'two deployments before the backup');
    const before = { deployments: [...done.deployments], joinTokens: [...done.joinTokens] };
    const file = join(dir, 'controller-backup.tar');
    const backup = await run(CONTROLLER_MAIN, ['controller', 'backup', file, '--data-dir', original.dataDir]);
    writing = false;
    await writer;
    assert.equal(backup.code, 0, backup.err);
    assert.ok(done.deployments.length > before.deployments.length, 'deployments went on during the backup');
    assert.equal(statSync(file).mode & 0o777, 0o600);

    await client.close();
    for (const c of conns.splice(0)) c.close();
    await original.proc.stop();

    const dataDir = join(dir, 'restored');
    const r = await run(CONTROLLER_MAIN, ['controller', 'restore', file, '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^restored controller ctl-[0-9a-f]+ \\(TLS fingerprint ${original.fingerprint}\\), backed up at \\d{4}-\\S+, into ${dataDir}\\n$`));
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    for (const name of readdirSync(dataDir).filter((n) => n !== 'tls')) assert.equal(statSync(join(dataDir, name)).mode & 0o777, 0o600, name);

    restored = await startController(dataDir, { port: original.port });
    assert.equal(restored.fingerprint, original.fingerprint);
    const again = new OperatorClient({ controller: restored.url, token: adminToken, fingerprint: restored.fingerprint });
    try {
      const listed = await again.listDeployments({ limit: 1000 });
      for (const id of before.deployments) assert.equal(listed.find((d) => d.id === id)?.status, 'succeeded', id);
      const joinIds = (await again.listJoinTokens({ all: true })).map((t) => t.id);
      for (const id of [...before.joinTokens, spareJoin.id]) assert.ok(joinIds.includes(id), id);

      conns.push(await answeringAgent(restored, web1));
      await eventually(async () => (await again.listAgents()).find((a) => a.name === 'web-1' && a.online), 10_000, 'web-1 online on the restored controller');
      await deployed(again, 'after-restore');
      assert.equal((await enrollRaw(restored.url, restored.fingerprint, spareJoin.token)).status, 201, 'a join token minted before the backup still enrolls');
    } finally {
      await again.close();
    }
  });
});
