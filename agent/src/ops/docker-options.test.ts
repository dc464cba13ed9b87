import { test } from 'node:test';
import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import { addPublish, addVolume, applyDockerOptions, parseBytes, parseDockerFlags } from './docker-options.js';

test('Kamal options become Engine API fields; unknown flags are refused by name', () => {
  const c: Dockerode.ContainerCreateOptions = {};
  applyDockerOptions(c, { 'cap-add': ['NET_ADMIN', 'SYS_TIME'], memory: '512m', cpus: 1.5, 'add-host': 'db:10.0.0.1', ulimit: 'nofile=1024:2048', sysctl: 'net.core.somaxconn=1024', privileged: true, user: '1000', label: ['a=b'], 'log-opt': 'max-file=3', p: '8080:80' }, '/root');
  assert.deepEqual(c.HostConfig?.CapAdd, ['NET_ADMIN', 'SYS_TIME']);
  assert.equal(c.HostConfig?.Memory, 512 * 1024 * 1024);
  assert.equal(c.HostConfig?.NanoCpus, 1.5e9);
  assert.deepEqual(c.HostConfig?.ExtraHosts, ['db:10.0.0.1']);
  assert.deepEqual(c.HostConfig?.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
  assert.deepEqual(c.HostConfig?.Sysctls, { 'net.core.somaxconn': '1024' });
  assert.equal(c.HostConfig?.Privileged, true);
  assert.equal(c.User, '1000');
  assert.deepEqual(c.Labels, { a: 'b' });
  assert.deepEqual(c.HostConfig?.LogConfig, { Type: '', Config: { 'max-file': '3' } });
  assert.deepEqual(c.HostConfig?.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
  assert.throws(() => applyDockerOptions({}, { 'made-up': 'x' }, '/root'), /options: --made-up is not supported by drover-agent/);
  assert.throws(() => applyDockerOptions({}, { memory: 'lots' }, '/root'), /--memory "lots" is not a size/);
});

test('publish and volume forms', () => {
  const c: Dockerode.ContainerCreateOptions = {};
  addPublish(c, '127.0.0.1:3306:3306');
  addPublish(c, '[::1]:53:53/udp');
  addPublish(c, '9000');
  assert.deepEqual(c.HostConfig?.PortBindings, { '3306/tcp': [{ HostIp: '127.0.0.1', HostPort: '3306' }], '53/udp': [{ HostIp: '::1', HostPort: '53' }], '9000/tcp': [{ HostIp: '', HostPort: '' }] });
  assert.throws(() => addPublish({}, 'a:b'), /expected \[ip:\]host_port:container_port/);
  addVolume(c, '$PWD/app-mysql/data:/var/lib/mysql', '/root');
  addVolume(c, 'named:/data:ro', '/root');
  addVolume(c, '/anon', '/root');
  assert.deepEqual(c.HostConfig?.Binds, ['/root/app-mysql/data:/var/lib/mysql', 'named:/data:ro']);
  assert.deepEqual(c.Volumes, { '/anon': {} });
  assert.equal(parseBytes('2GiB', 'm'), 2 * 1024 ** 3);
});

test('legacy proxy options text parses into the same options', () => {
  assert.deepEqual(parseDockerFlags('--publish 80:80 --publish 443:443 --log-opt max-size=10m'), { publish: ['80:80', '443:443'], 'log-opt': ['max-size=10m'] });
  assert.deepEqual(parseDockerFlags('--label="x=y" --privileged'), { label: ['x=y'], privileged: true });
  assert.throws(() => parseDockerFlags('stray'), /unexpected "stray"/);
});
