import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEPLOY_YML, drover, withDir } from './cli-test-support.js';

test('drover secrets fetch (test adapter) prints JSON; extract picks one value', async () => {
  await withDir({}, async (dir) => {
    const f = await drover(['secrets', 'fetch', '--adapter', 'test', '--account', 'a', '--from', 'V/I', 'ABC'], dir);
    assert.equal(f.code, 0, f.stderr);
    assert.deepEqual(JSON.parse(f.stdout), { 'V/I/ABC': 'CBA' });
    const e = await drover(['secrets', 'extract', 'ABC', f.stdout.trim()], dir);
    assert.equal(e.stdout, 'CBA\n');
    const missing = await drover(['secrets', 'extract', 'NOPE', f.stdout.trim()], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Could not find secret NOPE/);
  });
});

test('drover secrets fetch: missing CLI, unknown adapter, missing account', async () => {
  await withDir({}, async (dir) => {
    const op = await drover(['secrets', 'fetch', '-a', '1password', '--account', 'x', 'A'], dir, { PATH: dir });
    assert.equal(op.code, 1);
    assert.match(op.stderr, /1Password CLI is not installed/);
    const unknown = await drover(['secrets', 'fetch', '-a', 'nope', 'A'], dir);
    assert.match(unknown.stderr, /Unknown secrets adapter: nope/);
    const account = await drover(['secrets', 'fetch', '-a', 'lastpass', 'A'], dir);
    assert.match(account.stderr, /Missing required option '--account'/);
  });
});

test('drover secrets print shows the loaded secrets for the destination', async () => {
  await withDir({
    'config/deploy.yml': DEPLOY_YML,
    'config/deploy.staging.yml': '',
    '.kamal/secrets-common': 'A=common\n',
    '.kamal/secrets': 'B=plain\n',
    '.kamal/secrets.staging': 'C=$FROM_ENV\n',
  }, async (dir) => {
    const plain = await drover(['secrets', 'print'], dir);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, 'A=common\nB=plain\n');
    const staging = await drover(['secrets', 'print', '-d', 'staging'], dir, { FROM_ENV: 'e' });
    assert.equal(staging.stdout, 'A=common\nC=e\n');
  });
});

test('drover secrets: unknown subcommand exits 64', async () => {
  await withDir({}, async (dir) => {
    const r = await drover(['secrets', 'frobnicate'], dir);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /unknown command "secrets frobnicate"/);
  });
});
