import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { drover, withDir } from './cli-test-support.js';

// The deployment commands in-process, with their output captured: arguments, help, refusals.

test('--help shows the command\'s options and Kamal\'s global options; -h is --hosts', async () => {
  const r = await drover(['deploy', '--help'], '/');
  assert.equal(r.code, 0);
  for (const flag of ['-P, --skip-push', '--detach', '-h, --hosts HOSTS', '-r, --roles ROLES', '-d, --destination DEST', '-H, --skip-hooks', '--lock-wait', '--json']) assert.ok(r.stdout.includes(flag), flag);
});

test('usage mistakes exit 64 with the usage; remove asks for -y', async () => {
  const unknown = await drover(['deploy', '--frobnicate'], '/');
  assert.equal(unknown.code, 64);
  assert.match(unknown.stderr, /Unknown option '--frobnicate'[\s\S]*Usage: drover deploy/);
  const rollback = await drover(['rollback'], '/');
  assert.equal(rollback.code, 64);
  assert.match(rollback.stderr, /missing VERSION[\s\S]*Usage: drover rollback VERSION/);
  assert.equal((await drover(['deploy', '-v', '-q'], '/')).code, 64);
  assert.equal((await drover(['deploy', 'extra'], '/')).code, 64);
  assert.equal((await drover(['deploy', '--lock-wait', '--lock-wait-timeout', 'soon'], '/')).code, 64);
  const remove = await drover(['remove'], '/');
  assert.equal(remove.code, 1);
  assert.match(remove.stderr, /Run again with -y \(--confirmed\)/);
});

test('--json: a refusal before submitting still ends with a result object', async () => {
  await withDir({}, async (dir) => {
    const env = { DROVER_CONTROLLER: 'https://127.0.0.1:9', DROVER_TOKEN: 'drv_op_unused', DROVER_CONFIG_DIR: join(dir, 'cfg') };
    const r = await drover(['deploy', '--json', '-P'], dir, env);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1)!), { result: { status: 'failed', error: 'Configuration file not found in config/deploy.yml', details: [], exitCode: 1 } });
  });
});
