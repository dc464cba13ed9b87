import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { request } from 'undici';
import { AGENT_ENROLL_PATH } from '@drover/shared/protocol';
import { adminClient, removeDir, startController, tempDir, type ControllerProc } from './harness.js';
import { enrollRaw } from './raw-agent.js';
import { pinnedDispatcher } from './undici-pinned.js';
import type { OperatorClient } from '../client/operator-client.js';

/** Enrolls with a raw request, so the test chooses exactly what the enrolling side claims. */
async function enrollAs(ctl: ControllerProc, token: string, claim: { name?: string; hostname: string }): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
  const dispatcher = pinnedDispatcher(ctl.fingerprint);
  try {
    const publicKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const res = await request(new URL(AGENT_ENROLL_PATH, ctl.url), {
      method: 'POST', dispatcher, headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, publicKey, agentVersion: 'test', ...claim }),
    });
    return { status: res.statusCode, body: (await res.body.json()) as { error?: { code: string; message: string } } };
  } finally {
    await dispatcher.close();
  }
}

describe('an agent cannot take another agent\'s identity', () => {
  let dir: string;
  let ctl: ControllerProc;
  let client: OperatorClient;
  let victimId: string;

  before(async () => {
    dir = tempDir('e2e-identity');
    ctl = await startController(join(dir, 'ctl'));
    ({ client } = await adminClient(ctl));
    const victim = await enrollRaw(ctl.url, ctl.fingerprint, (await client.mintJoinToken({ name: 'victim' })).token);
    assert.equal(victim.status, 201);
    victimId = victim.identity!.agentId;
  });
  after(async () => {
    await client.close();
    await ctl.proc.stop();
    removeDir(dir);
  });

  test('an enrolling agent may not name itself after an agent id', async () => {
    const { token } = await client.mintJoinToken({ reusable: true });
    const byName = await enrollAs(ctl, token, { name: victimId, hostname: 'decoy' });
    assert.equal(byName.status, 400, JSON.stringify(byName.body));
    assert.match(String(byName.body.error?.message), /name.*reserved for agent ids/);
    // Nor through its hostname, which names an agent when nothing else does.
    const byHostname = await enrollAs(ctl, token, { hostname: victimId.toUpperCase() });
    assert.equal(byHostname.status, 400, JSON.stringify(byHostname.body));
    assert.match(String(byHostname.body.error?.message), /reserved for agent ids/);
  });

  test('names are hostname-like', async () => {
    const { token } = await client.mintJoinToken({ reusable: true });
    for (const name of ['a..b', 'a.-b', 'web-.x']) {
      const r = await enrollAs(ctl, token, { name, hostname: 'h' });
      assert.equal(r.status, 400, `${name}: ${JSON.stringify(r.body)}`);
    }
    assert.equal((await enrollAs(ctl, token, { name: 'web-1.eu-west', hostname: 'h' })).status, 201);
  });

  test('a token that names the agent decides its name', async () => {
    const { token } = await client.mintJoinToken({ name: 'db-1' });
    const r = await enrollAs(ctl, token, { name: 'db-2', hostname: 'h' });
    assert.equal(r.status, 403);
  });

  test('an id reaches the agent with that id', async () => {
    const agents = await client.listAgents();
    assert.ok(agents.some((a) => a.id === victimId && a.name === 'victim'));
    assert.equal((await client.label(victimId, { set: { role: 'db' }, remove: [] })).name, 'victim');
    assert.deepEqual(await client.revoke(victimId), { revoked: 'victim', wasOnline: false });
    assert.ok(!(await client.listAgents()).some((a) => a.id === victimId));
  });
});
