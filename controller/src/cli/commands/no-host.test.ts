import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DROVER_VERSION } from '@drover/shared';
import { DEPLOY_YML, drover, withDir } from './cli-test-support.js';

// Kamal commands that need no host: what Drover prints, and the exit codes (in-process, no controller).

test('version, and docs: a section, all of the root page, an unknown section', async () => {
  assert.equal((await drover(['version'], '/')).stdout, `${DROVER_VERSION}\n`);
  const proxy = await drover(['docs', 'proxy'], '/');
  assert.equal(proxy.code, 0);
  assert.match(proxy.stdout, /^proxy:/m);
  assert.equal((await drover(['docs'], '/')).code, 0);
  const unknown = await drover(['docs', 'frobnicate'], '/');
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'drover: No documentation found for frobnicate\n');
});

test('commands with no meaning for Drover say what Drover does instead and change nothing', async () => {
  await withDir({ 'config/deploy.yml': DEPLOY_YML }, async (dir) => {
    const upgrade = await drover(['upgrade', '-y', '--version', '1'], dir);
    assert.equal(upgrade.code, 0);
    assert.match(upgrade.stdout, /no Traefik or Kamal 1 layout to upgrade\. Nothing was changed\./);
    const accessory = await drover(['accessory', 'upgrade', 'all', '--version', '1'], dir);
    assert.equal(accessory.code, 0, accessory.stderr);
    assert.match(accessory.stdout, /^db: already on the `kamal` network/);
    const bootConfig = await drover(['proxy', 'boot_config', 'set', '--publish=false', '--docker-options', 'label=a=b'], dir);
    assert.equal(bootConfig.code, 0);
    assert.match(bootConfig.stderr, /^The proxy boot_config command is deprecated - set the config in the deploy YAML at proxy\/run instead\nDrover keeps no boot config on the hosts: nothing was changed\./);
    for (const action of ['create', 'remove']) {
      const r = await drover(['build', action], dir);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`there is no buildx builder to ${action}`));
    }
    const logout = await drover(['registry', 'logout', '-L', '--version', '1'], dir);
    assert.equal(logout.code, 0, logout.stderr);
    assert.match(logout.stdout, /Drover keeps no registry credentials/);
  });
});

test('Kamal\'s hidden steps are accepted and name the command that does the work', async () => {
  for (const [words, instead] of [[['app', 'remove_containers'], 'app remove'], [['proxy', 'remove_proxy_directory'], 'proxy remove'], [['accessory', 'pull_image', 'db'], 'accessory reboot']] as const) {
    const r = await drover([...words], '/');
    assert.equal(r.code, 1, words.join(' '));
    assert.match(r.stderr, new RegExp(`Run \`drover ${instead}\`\\.`));
  }
  const help = await drover(['app', '--help'], '/');
  assert.ok(!help.stdout.includes('remove_containers'), 'hidden from help');
});

test('a local registry refuses login and logout as Kamal does', async () => {
  const local = DEPLOY_YML.replace('registry:\n  username: dhh\n  password: [KAMAL_REGISTRY_PASSWORD]', 'registry:\n  server: localhost:5555');
  await withDir({ 'config/deploy.yml': local }, async (dir) => {
    const login = await drover(['registry', 'login', '--version', '1'], dir);
    assert.equal(login.code, 1);
    assert.match(login.stderr, /Cannot use login command with a local registry\. Use `drover registry setup` instead\./);
    const logout = await drover(['registry', 'logout', '--version', '1'], dir);
    assert.match(logout.stderr, /Cannot use logout command with a local registry\. Use `drover registry remove` instead\./);
  });
});
