import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessoryContainerOptions, accessoryExecContainerOptions, appContainerOptions, restartPolicy } from './container-spec.js';
import { checkProxyVersion, imageTagVersion, legacyProxyContainerOptions, olderVersion, proxyContainerOptions } from './proxy-spec.js';
import { parseDockerFlags } from './docker-options.js';

const app = {
  name: 'app-web-999', image: 'dhh/app:999', hostname: 'vm1-aabbccddeeff', version: '999', host: '1.1.1.1', destination: null,
  env: { clear: { K: 'v' }, secrets: {} }, envFileEntries: ['SECRET=x'], labels: { service: 'app', role: 'web', destination: '' },
  restartPolicy: 'unless-stopped', logging: { driver: null, options: { 'max-size': '10m' } }, volumes: ['/data:/data'], assetVolume: null,
  options: {}, cmd: null, home: '/root', hostEnv: {},
};

test('app container: Kamal\'s docker run as create options (env file before --env, as the CLI does)', () => {
  const c = appContainerOptions(app);
  assert.equal(c.name, 'app-web-999');
  assert.equal(c.Hostname, 'vm1-aabbccddeeff');
  assert.deepEqual(c.Env, ['SECRET=x', 'KAMAL_CONTAINER_NAME=app-web-999', 'KAMAL_VERSION=999', 'KAMAL_HOST=1.1.1.1', 'K=v']);
  assert.deepEqual(c.HostConfig, { RestartPolicy: { Name: 'unless-stopped' }, NetworkMode: 'kamal', LogConfig: { Type: '', Config: { 'max-size': '10m' } }, Binds: ['/data:/data'] });
  assert.equal(c.Cmd, undefined);
  const d = appContainerOptions({ ...app, destination: 'staging', options: { restart: 'on-failure:5' }, cmd: ['bin/jobs'], logging: { driver: 'local', options: {} } });
  assert.ok(d.Env?.includes('KAMAL_DESTINATION=staging'));
  assert.deepEqual(d.HostConfig?.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 5 });
  assert.deepEqual(d.HostConfig?.LogConfig, { Type: 'local', Config: {} });
  assert.deepEqual(d.Cmd, ['bin/jobs']);
  assert.deepEqual(restartPolicy('always'), { Name: 'always' });
});

test('accessory container: service label, KAMAL_HOST only, publish', () => {
  const c = accessoryContainerOptions({ ...app, name: 'app-mysql', labels: {}, network: 'kamal', publish: '3306', options: {}, env: { clear: { MYSQL_ROOT_HOST: '%' }, secrets: {} } });
  assert.deepEqual(c.Labels, { service: 'app-mysql' });
  assert.deepEqual(c.Env, ['SECRET=x', 'KAMAL_HOST=1.1.1.1', 'MYSQL_ROOT_HOST=%']);
  assert.deepEqual(c.HostConfig?.PortBindings, { '3306/tcp': [{ HostIp: '', HostPort: '' }] });
});

test('accessory exec in a new container: image, network, env and volumes; no labels, ports, restart or logging', () => {
  const c = accessoryExecContainerOptions({
    name: 'app-mysql-exec-accessory-a1b2c3', image: 'mysql:8', host: 'db1', env: { clear: { MYSQL_ROOT_HOST: '%' }, secrets: {} },
    envFileEntries: ['MYSQL_ROOT_PASSWORD=x'], network: 'kamal', volumes: ['/root/app-mysql/etc/my.cnf:/etc/mysql/my.cnf:ro'], cmd: ['mysql', '-e', 'select 1'],
    home: '/root', hostEnv: {},
  });
  assert.deepEqual(c, {
    name: 'app-mysql-exec-accessory-a1b2c3', Image: 'mysql:8', Env: ['MYSQL_ROOT_PASSWORD=x', 'KAMAL_HOST=db1', 'MYSQL_ROOT_HOST=%'],
    HostConfig: { NetworkMode: 'kamal', Binds: ['/root/app-mysql/etc/my.cnf:/etc/mysql/my.cnf:ro'] }, Cmd: ['mysql', '-e', 'select 1'],
  });
});

test('proxy container with proxy.run: ports per bind IP, log size, metrics, debug', () => {
  const run = { httpPort: 8080, httpsPort: 8443, bindIps: ['10.0.0.1', '::1'], publish: true, metricsPort: 9090, debug: true, logMaxSize: '20m', image: 'basecamp/kamal-proxy:v0.9.2', options: {} };
  const c = proxyContainerOptions(run, '/root/.kamal/proxy/apps-config', '/root');
  assert.equal(c.name, 'kamal-proxy');
  assert.deepEqual(c.HostConfig?.Binds, ['kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy', '/root/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config']);
  assert.deepEqual(c.HostConfig?.PortBindings, {
    '80/tcp': [{ HostIp: '10.0.0.1', HostPort: '8080' }, { HostIp: '::1', HostPort: '8080' }],
    '443/tcp': [{ HostIp: '10.0.0.1', HostPort: '8443' }, { HostIp: '::1', HostPort: '8443' }],
  });
  assert.deepEqual(c.HostConfig?.LogConfig, { Type: '', Config: { 'max-size': '20m' } });
  assert.ok(c.ExposedPorts?.['9090/tcp']);
  assert.deepEqual(c.Cmd, ['kamal-proxy', 'run', '--debug', '--metrics-port', '9090']);
  assert.equal(proxyContainerOptions({ ...run, publish: false }, '/a', '/root').HostConfig?.PortBindings, undefined);
  const legacy = legacyProxyContainerOptions({ options: parseDockerFlags('--publish 80:80 --log-opt max-size=10m'), image: 'basecamp/kamal-proxy:v0.9.2', runCommand: null }, '/a', '/root');
  assert.equal(legacy.Cmd, undefined, 'the image CMD (kamal-proxy run)');
});

test('minimum proxy version: Kamal\'s message; Gem::Version ordering', () => {
  assert.equal(imageTagVersion('registry:5000/basecamp/kamal-proxy:v0.8.7'), 'v0.8.7');
  assert.throws(() => checkProxyVersion('basecamp/kamal-proxy:v0.8.7'), { message: 'kamal-proxy version v0.8.7 is too old, run `kamal proxy reboot` in order to update to at least v0.9.2' });
  checkProxyVersion('basecamp/kamal-proxy:v0.9.2');
  checkProxyVersion('basecamp/kamal-proxy:v0.10.0');
  assert.equal(olderVersion('v0.9.10', 'v0.9.2'), false);
  assert.equal(olderVersion('0.9.2.rc1', 'v0.9.2'), true, 'pre-releases sort before the release');
  assert.throws(() => checkProxyVersion('basecamp/kamal-proxy:latest'), /Malformed version number string latest/);
});
