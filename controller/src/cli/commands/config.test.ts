import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEPLOY_YML, drover, withDir } from './cli-test-support.js';

test('drover config --json prints the documented shape', async () => {
  await withDir({ 'config/deploy.yml': DEPLOY_YML }, async (dir) => {
    const r = await drover(['config', '--json', '--version', 'abc123'], dir);
    assert.equal(r.code, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.equal(view.formatVersion, 1);
    assert.equal(view.version, 'abc123');
    assert.equal(view.primaryHost, '1.1.1.1');
    assert.deepEqual(view.hosts, ['1.1.1.1', '1.1.1.2', '1.1.1.3']);
    assert.deepEqual(view.roles.web.hosts, ['1.1.1.1', '1.1.1.2']);
    assert.equal(view.roles.web.containerName, 'app-web-abc123');
    assert.deepEqual(view.roles.web.env.secrets, ['RAILS_MASTER_KEY', 'DB_PASSWORD:PROD_DB_PASSWORD']);
    assert.deepEqual(view.roles.web.envByHost['1.1.1.2'].clear, { RAILS_ENV: 'production', REGION: 'east' });
    assert.deepEqual(view.roles.web.proxy.deployArgs.slice(0, 5), ['kamal-proxy', 'deploy', 'app-web', '--target=<CONTAINER_ID>:80', '--host=app.example.com']);
    assert.equal(view.roles.workers.proxy, null);
    assert.deepEqual(view.accessories.db.hosts, ['1.1.1.3']);
    assert.equal(view.accessories.db.publish, '3306:3306');
    assert.deepEqual(view.registry.password, { secret: 'KAMAL_REGISTRY_PASSWORD' });
  });
});

test('drover config prints what `kamal config` prints; VERSION comes from the environment; no secret is shown', async () => {
  const yml = DEPLOY_YML.replace('password: [KAMAL_REGISTRY_PASSWORD]', 'password: hunter2');
  await withDir({ 'config/deploy.yml': yml }, async (dir) => {
    const r = await drover(['config'], dir, { VERSION: 'v9' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('---\n:roles:\n- web\n- workers\n:hosts:\n- 1.1.1.1\n- 1.1.1.2\n- 1.1.1.3\n:primary_host: 1.1.1.1\n:version: v9\n:repository: dhh/app\n:absolute_image: dhh/app:v9\n:service_with_version: app-v9\n'), r.stdout);
    assert.match(r.stdout, /^:logging:\n- "--log-opt"\n- max-size="10m"\n/m);
    assert.ok(!r.stdout.includes('hunter2'));
  });
});

test('drover config -c FILE -d DEST', async () => {
  await withDir({ 'ops/deploy.yml': DEPLOY_YML, 'ops/deploy.staging.yml': 'servers:\n  web: [9.9.9.9]\n  workers: [9.9.9.8]\n' }, async (dir) => {
    const r = await drover(['config', '-c', 'ops/deploy.yml', '-d', 'staging', '--json', '--version', '1'], dir);
    assert.equal(r.code, 0, r.stderr);
    const view = JSON.parse(r.stdout);
    assert.equal(view.destination, 'staging');
    assert.equal(view.roles.web.containerName, 'app-web-staging-1');
    assert.equal(view.primaryHost, '9.9.9.9');
  });
});

test('drover config: invalid configuration lists every problem, exit 1, no stack trace', async () => {
  await withDir({ 'config/deploy.yml': DEPLOY_YML + 'deploy_timeout: soon\nbogus: 1\n' }, async (dir) => {
    const r = await drover(['config', '--version', '1'], dir);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /config\/deploy\.yml: invalid configuration \(2 problems\)/);
    assert.match(r.stderr, /deploy_timeout: should be an integer/);
    assert.match(r.stderr, /unknown key: bogus/);
    assert.doesNotMatch(r.stderr, /\s+at /);
  });
});

test('drover config: malformed YAML, missing file, missing destination file, no git', async () => {
  await withDir({ 'config/deploy.yml': 'service: [unclosed\n' }, async (dir) => {
    const r = await drover(['config', '--version', '1'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /config\/deploy\.yml:\d+:\d+: /);
  });
  await withDir({}, async (dir) => {
    const r = await drover(['config'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Configuration file not found in config\/deploy\.yml/);
  });
  await withDir({ 'config/deploy.yml': DEPLOY_YML }, async (dir) => {
    const r = await drover(['config', '-d', 'prod', '--version', '1'], dir);
    assert.match(r.stderr, /Configuration file not found in config\/deploy\.prod\.yml/);
    const g = await drover(['config'], dir);
    assert.equal(g.code, 1);
    assert.match(g.stderr, /Can't use commit hash as version, no git repository found in /);
  });
});

test('drover config: unknown flag exits 64 with usage', async () => {
  await withDir({}, async (dir) => {
    const r = await drover(['config', '--nope'], dir);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /Usage: drover config/);
  });
});
