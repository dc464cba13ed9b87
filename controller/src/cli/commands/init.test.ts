import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { drover, withDir } from './cli-test-support.js';

test('drover init creates deploy.yml, secrets (0600) and executable sample hooks that load', async () => {
  await withDir({}, async (dir) => {
    const r = await drover(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Created configuration file in config\/deploy\.yml/);
    assert.equal((await stat(join(dir, '.kamal/secrets'))).mode & 0o777, 0o600);
    const hooks = await readdir(join(dir, '.kamal/hooks'));
    assert.ok(hooks.includes('pre-deploy.sample') && hooks.includes('post-deploy.sample'), hooks.join(','));
    assert.equal((await stat(join(dir, '.kamal/hooks/pre-deploy.sample'))).mode & 0o111, 0o111);
    const c = await drover(['config', '--json', '--version', '1'], dir);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(JSON.parse(c.stdout).service, 'my-app');
  });
});

test('drover init refuses to overwrite an existing deploy.yml', async () => {
  await withDir({ 'config/deploy.yml': 'mine\n' }, async (dir) => {
    const r = await drover(['init'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Config file already exists in config\/deploy\.yml \(remove first to create a new one\)/);
    assert.equal(await readFile(join(dir, 'config/deploy.yml'), 'utf8'), 'mine\n');
  });
});

test('drover init keeps an existing secrets file', async () => {
  await withDir({ '.kamal/secrets': 'KEEP=1\n' }, async (dir) => {
    const r = await drover(['init'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(join(dir, '.kamal/secrets'), 'utf8'), 'KEEP=1\n');
  });
});
