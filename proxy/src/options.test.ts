import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultServiceOptions, hasConfiguredHosts, normalizeServiceOptions, validateServiceOptions, type ServiceOptions } from './options.js';

const v = (o: Partial<ServiceOptions>): string | null => validateServiceOptions({ ...defaultServiceOptions(), ...o });

test('TLS requires real hosts (wildcards fine)', () => {
  for (const hosts of [[], [''], ['*.example.com', '']]) {
    assert.equal(v({ tlsEnabled: true, hosts }), 'service options invalid: host must be set when using TLS');
  }
  assert.equal(v({ tlsEnabled: true, hosts: ['example.com'] }), null);
  assert.equal(v({ tlsEnabled: true, hosts: ['*.example.com'] }), null);
});

test('TLS on-demand URL rules', () => {
  assert.equal(v({ tlsEnabled: true, tlsOnDemandUrl: '/allow' }), null);
  assert.equal(v({ tlsEnabled: true, tlsOnDemandUrl: 'https://auth.example.com/check' }), null);
  assert.match(v({ tlsEnabled: true, tlsOnDemandUrl: '/allow', hosts: ['a.com'] })!, /cannot set hosts when using a TLS on-demand URL/);
  assert.match(v({ tlsEnabled: true, tlsOnDemandUrl: 'ftp://x.com' })!, /unsupported scheme "ftp" in tls-on-demand-url/);
  assert.match(v({ tlsEnabled: true, tlsOnDemandUrl: '//x' })!, /must be a path or an absolute http\(s\) URL/);
  assert.match(v({ tlsOnDemandUrl: '/allow' })!, /TLS must be enabled to use a TLS on-demand URL/);
});

test('canonical host must be among the hosts; fine without hosts', () => {
  assert.equal(v({ hosts: ['a.com', 'b.com'], canonicalHost: 'c.com' }), "service options invalid: canonical-host 'c.com' must be present in the hosts list: [a.com b.com]");
  assert.equal(v({ hosts: ['a.com'], canonicalHost: 'a.com' }), null);
  assert.equal(v({ canonicalHost: 'a.com' }), null);
  assert.equal(v({ canonicalHost: '' }), null);
});

test('normalizing and configured hosts', () => {
  const n = normalizeServiceOptions({ ...defaultServiceOptions(), pathPrefixes: ['api/', '//admin'] });
  assert.deepEqual(n.hosts, ['']);
  assert.deepEqual(n.pathPrefixes, ['/api', '/admin']);
  assert.deepEqual(normalizeServiceOptions(defaultServiceOptions()).pathPrefixes, ['/']);
  assert.equal(hasConfiguredHosts([]), false);
  assert.equal(hasConfiguredHosts(['a', '']), false);
  assert.equal(hasConfiguredHosts(['a']), true);
});
