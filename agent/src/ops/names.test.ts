import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appLabels, containerHostname, containerPrefix, exactName, execContainerName, hostPaths, proxyTlsPaths, replacedContainerName, roleFilters, serviceAndDestination, versionFromName } from './names.js';

test('container names follow Kamal: prefix, replaced, exec', () => {
  assert.equal(containerPrefix('app', 'web', null), 'app-web');
  assert.equal(containerPrefix('app', 'web', 'staging'), 'app-web-staging');
  assert.equal(serviceAndDestination('app', 'staging'), 'app-staging');
  assert.equal(replacedContainerName('app-web-999', '0123456789abcdef'), 'app-web-999_replaced_0123456789abcdef');
  assert.match(replacedContainerName('app-web-999'), /^app-web-999_replaced_[0-9a-f]{16}$/);
  assert.match(execContainerName('app-web', '999'), /^app-web-exec-999-[0-9a-f]{6}$/);
  assert.equal(versionFromName('/app-web-staging-abc_replaced_1', 'app-web-staging'), 'abc_replaced_1');
  assert.equal(versionFromName('other-web-1', 'app-web'), null);
});

test('hostname: the host cut at 51 characters, a trailing dot dropped, then 12 hex', () => {
  assert.equal(containerHostname('1.1.1.1', 'aabbccddeeff'), '1.1.1.1-aabbccddeeff');
  const long = `${'a'.repeat(50)}.example.com`;
  assert.equal(containerHostname(long, '000000000000'), `${'a'.repeat(50)}-000000000000`);
  assert.match(containerHostname('vm1'), /^vm1-[0-9a-f]{12}$/);
});

test('labels: a bare destination without one; custom labels after, so they win as later --label flags do', () => {
  assert.deepEqual(appLabels('app', 'web', null, { team: 'x' }), { service: 'app', role: 'web', destination: '', team: 'x' });
  assert.deepEqual(roleFilters('app', 'web', null), { label: ['service=app', 'destination=', 'role=web'] });
  assert.deepEqual(roleFilters('app', 'web', 'prod').label[1], 'destination=prod');
});

test('name filters are anchored and escape regexp characters found in versions', () => {
  assert.equal(exactName('app-web-1.2+3'), '^app-web-1\\.2\\+3$');
  assert.ok(new RegExp(exactName('app-web-1.2')).test('app-web-1.2'));
  assert.ok(!new RegExp(exactName('app-web-1.2')).test('app-web-1x2'));
});

test('host layout under the run directory and the proxy-side TLS paths', () => {
  assert.equal(hostPaths.roleEnvFile('/root/.kamal', 'app', 'web'), '/root/.kamal/apps/app/env/roles/web.env');
  assert.equal(hostPaths.accessoryEnvFile('/root/.kamal', 'app-s', 'mysql'), '/root/.kamal/apps/app-s/env/accessories/mysql.env');
  assert.equal(hostPaths.auditLog('/root/.kamal', 'app-s'), '/root/.kamal/app-s-audit.log');
  assert.equal(hostPaths.errorPages('/r', 'app', 'v1'), '/r/proxy/apps-config/app/error_pages/v1');
  assert.deepEqual(proxyTlsPaths('app', 'web'), { cert: '/home/kamal-proxy/.apps-config/app/tls/web/cert.pem', key: '/home/kamal-proxy/.apps-config/app/tls/web/key.pem' });
  assert.equal(proxyTlsPaths('app', null).cert, '/home/kamal-proxy/.apps-config/app/tls/cert.pem');
});
