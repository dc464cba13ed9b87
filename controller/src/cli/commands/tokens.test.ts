import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { adminClient, removeDir, startController, tempDir, type ControllerProc } from '../../e2e/harness.js';
import { drover } from './cli-test-support.js';

/** Table rows as cells (columns are separated by two or more spaces). */
const cells = (out: string): string[][] => out.trimEnd().split('\n').map((l) => l.split(/\s{2,}/));

describe('drover controller token … and drover agents token … (in-process CLI, real controller)', () => {
  let dir: string;
  let ctl: ControllerProc;
  let env: Record<string, string>;
  let adminToken: string;

  before(async () => {
    dir = tempDir('cli-tokens');
    ctl = await startController(join(dir, 'ctl'));
    const admin = await adminClient(ctl);
    adminToken = admin.token;
    await admin.client.close();
    env = { DROVER_CONFIG_DIR: join(dir, 'cfg'), DROVER_CONTROLLER: ctl.url, DROVER_TOKEN: adminToken, DROVER_FINGERPRINT: ctl.fingerprint };
  });
  after(async () => {
    await ctl?.proc.stop();
    if (dir) removeDir(dir);
  });

  test('controller token create --expires, then list (table and --json, through the API or the data dir) shows no secret', async () => {
    const created = await drover(['controller', 'token', 'create', '--scope', 'deploy', '--name', 'ci', '--expires', '12h', '--data-dir', ctl.dataDir], dir);
    assert.equal(created.code, 0, created.stderr);
    const secret = created.stdout.trim();
    assert.match(secret, /^drv_op_/);
    assert.match(created.stderr, /operator token "ci" \(id [0-9a-f]+, scope deploy\) created; it expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\. It is shown only once\./);

    const listed = await drover(['controller', 'token', 'list'], dir, env);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = cells(listed.stdout);
    assert.deepEqual(rows[0], ['ID', 'NAME', 'SCOPE', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED']);
    const ci = rows.find((r) => r[1] === 'ci')!;
    assert.deepEqual([ci[2], ci[3], ci[6]], ['deploy', 'active', 'never']);
    assert.match(ci[5]!, /^\d{4}-\d\d-\d\dT/);
    assert.equal(rows.find((r) => r[1] === 'admin-token')?.[6], 'now', 'the admin token listing is in use now');
    assert.ok(!listed.stdout.includes('drv_op_'));

    const local = await drover(['controller', 'token', 'list', '--json', '--data-dir', ctl.dataDir], dir);
    assert.equal(local.code, 0, local.stderr);
    const tokens = (JSON.parse(local.stdout) as { tokens: { name: string; scope: string; status: string }[] }).tokens;
    assert.deepEqual(tokens.map((t) => [t.name, t.scope, t.status]), [['admin-token', 'admin', 'active'], ['ci', 'deploy', 'active']]);
    assert.ok(!local.stdout.includes(secret) && !local.stdout.includes('hash'));
  });

  test('controller token create and revoke: bad input is one line and exit 64; revoke by id, by name, locally', async () => {
    const bad = await drover(['controller', 'token', 'create', '--scope', 'root', '--data-dir', ctl.dataDir], dir);
    assert.deepEqual([bad.code, bad.stderr.split('\n')[0]], [64, 'drover: --scope must be one of admin, deploy, read, metrics']);
    const tooShort = await drover(['controller', 'token', 'create', '--scope', 'read', '--expires', '30s', '--data-dir', ctl.dataDir], dir);
    assert.deepEqual([tooShort.code, tooShort.stderr.split('\n')[0]], [64, 'drover: --expires must be at least 1m']);

    await drover(['controller', 'token', 'create', '--scope', 'read', '--name', 'dup', '--data-dir', ctl.dataDir], dir);
    await drover(['controller', 'token', 'create', '--scope', 'read', '--name', 'dup', '--data-dir', ctl.dataDir], dir);
    const ambiguous = await drover(['controller', 'token', 'revoke', 'dup'], dir, env);
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.stderr, /^drover: controller: 2 operator tokens are named dup \([0-9a-f]+, [0-9a-f]+\); revoke one by its id\n$/);
    const id = ambiguous.stderr.match(/\(([0-9a-f]+),/)![1]!;
    const byId = await drover(['controller', 'token', 'revoke', id], dir, env);
    assert.deepEqual([byId.code, byId.stdout, byId.stderr], [0, `revoked operator token "dup" (id ${id}, scope read)\n`, '']);
    const byName = await drover(['controller', 'token', 'revoke', 'dup', '--data-dir', ctl.dataDir], dir);
    assert.equal(byName.code, 0, byName.stderr);
    const missing = await drover(['controller', 'token', 'revoke', 'nope', '--data-dir', ctl.dataDir], dir);
    assert.deepEqual([missing.code, missing.stderr], [1, 'drover: no operator token with id or name nope\n']);
  });

  test('agents token still mints by default; list shows it and never its value; revoke takes it out of the list', async () => {
    const minted = await drover(['agents', 'token', '--name', 'web-1', '--labels', 'role=web', '--ttl', '2h'], dir, env);
    assert.equal(minted.code, 0, minted.stderr);
    const id = minted.stderr.match(/^join token ([0-9a-f]+) for web-1, single use, expires /m)?.[1];
    assert.ok(id, minted.stderr);
    assert.match(minted.stderr, new RegExp(`revoke it before then with: drover agents token revoke ${id}`));
    const explicit = await drover(['agents', 'token', 'create', '--reusable', '--json'], dir, env);
    assert.equal(explicit.code, 0, explicit.stderr);
    const reusableId = (JSON.parse(explicit.stdout) as { id: string }).id;

    const listed = await drover(['agents', 'token', 'list'], dir, env);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = cells(listed.stdout);
    assert.deepEqual(rows[0], ['ID', 'NAME', 'LABELS', 'KIND', 'USES', 'STATUS', 'CREATED', 'EXPIRES']);
    assert.deepEqual(rows.slice(1).map((r) => r.slice(0, 6)), [
      [reusableId, '(any)', '-', 'reusable', '0', 'active'],
      [id, 'web-1', 'role=web', 'single use', '0', 'active'],
    ]);
    assert.ok(!listed.stdout.includes(minted.stdout.trim()), 'the token value is not listed');

    const revoked = await drover(['agents', 'token', 'revoke', id], dir, env);
    assert.deepEqual([revoked.code, revoked.stdout], [0, `revoked join token ${id}\n`]);
    const after = await drover(['agents', 'token', 'list', '--json'], dir, env);
    assert.deepEqual((JSON.parse(after.stdout) as { tokens: { id: string }[] }).tokens.map((t) => t.id), [reusableId]);
    const all = await drover(['agents', 'token', 'list', '--all', '--json'], dir, env);
    assert.equal((JSON.parse(all.stdout) as { tokens: { id: string; status: string }[] }).tokens.find((t) => t.id === id)?.status, 'revoked');
    const again = await drover(['agents', 'token', 'revoke', id], dir, env);
    assert.deepEqual([again.code, again.stderr], [1, `drover: controller: join token ${id} is already revoked\n`]);
  });

  test('revoking the token in use says so', async () => {
    const created = await drover(['controller', 'token', 'create', '--scope', 'admin', '--name', 'mine', '--data-dir', ctl.dataDir], dir);
    const mine = { ...env, DROVER_TOKEN: created.stdout.trim() };
    const r = await drover(['controller', 'token', 'revoke', 'mine'], dir, mine);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^revoked operator token "mine"/);
    assert.equal(r.stderr, 'that was the token this command used: this login no longer works; log in with another token (`drover login`)\n');
    const refused = await drover(['agents'], dir, mine);
    assert.equal(refused.code, 77);
    assert.match(refused.stderr, /operator token mine \([0-9a-f]+\) was revoked/);
  });
});
