import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceMap, hostWithoutPort } from './service_map.js';
import { defaultServiceOptions, type ServiceOptions } from './options.js';

const svc = (name: string, o: Partial<ServiceOptions>) => ({ name, options: { ...defaultServiceOptions(), hosts: [''], pathPrefixes: ['/'], ...o } });

test('host lookup: exact > one-level wildcard > default', () => {
  const m = new ServiceMap<ReturnType<typeof svc>>();
  m.rebuild([svc('exact', { hosts: ['app.example.com'] }), svc('wild', { hosts: ['*.example.com'] }), svc('default', {})]);
  assert.equal(m.lookup('app.example.com', '/')?.service.name, 'exact');
  assert.equal(m.lookup('other.example.com:8080', '/')?.service.name, 'wild');
  assert.equal(m.lookup('extra.level.example.com', '/')?.service.name, 'default');
  const noDefault = new ServiceMap<ReturnType<typeof svc>>();
  noDefault.rebuild([svc('exact', { hosts: ['app.example.com'] })]);
  assert.equal(noDefault.lookup('nope.com', '/'), null);
});

test('longest prefix on segment boundaries; conflicts only for the same host and prefix', () => {
  const m = new ServiceMap<ReturnType<typeof svc>>();
  m.rebuild([svc('root', {}), svc('api', { pathPrefixes: ['/api'] }), svc('v2', { pathPrefixes: ['/api/v2'] })]);
  assert.equal(m.lookup('', '/api/v2/x')?.service.name, 'v2');
  assert.equal(m.lookup('', '/api/x')?.service.name, 'api');
  assert.equal(m.lookup('', '/apiary')?.service.name, 'root');
  assert.equal(m.isAvailable('other', { ...defaultServiceOptions(), hosts: [''], pathPrefixes: ['/api'] }), false);
  assert.equal(m.isAvailable('api', { ...defaultServiceOptions(), hosts: [''], pathPrefixes: ['/api'] }), true);
  assert.equal(m.isAvailable('other', { ...defaultServiceOptions(), hosts: ['x.com'], pathPrefixes: ['/api'] }), true);
});

test('prefix services inherit TLS from the root service; first TLS host is the default', () => {
  const m = new ServiceMap<ReturnType<typeof svc>>();
  const api = svc('api', { hosts: ['a.com'], pathPrefixes: ['/api'] });
  m.rebuild([svc('root', { hosts: ['a.com'], tlsEnabled: true, tlsRedirect: false }), api]);
  assert.deepEqual(m.tlsFor(api), { enabled: true, redirect: false });
  assert.equal(m.defaultTlsHostname, 'a.com');
  m.rebuild([api]);
  assert.deepEqual(m.tlsFor(api), { enabled: false, redirect: true });
  assert.equal(hostWithoutPort('[::1]:80'), '[::1]');
});
