/** kamal-proxy's router behaviours (router_test.go), on loopback with real sockets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProxy, startTarget, request, waitFor, type TestProxy, type TestTarget } from './test_support.js';
import { TEST_CERT, TEST_KEY } from './test_fixtures.js';

/** Requests the proxy holds for `service` right now (its in-flight gauge): a paused request waiting counts. */
function inFlight(p: TestProxy, service: string): number {
  return p.server.metrics.snapshot().inflight.find(([name]) => name === service)?.[1] ?? 0;
}

async function withProxy(fn: (p: TestProxy, t: (name: string) => Promise<TestTarget>) => Promise<void>): Promise<void> {
  const proxy = await startProxy();
  const targets: TestTarget[] = [];
  try {
    await fn(proxy, async (name) => {
      const t = await startTarget(name);
      targets.push(t);
      return t;
    });
  } finally {
    await proxy.stop();
    await Promise.all(targets.map((t) => t.close()));
  }
}

test('no services -> 404; deploy -> 200 with backend body; remove -> 404', () => withProxy(async (p, t) => {
  assert.equal((await request(p.port, '/')).status, 404);
  const a = await t('first');
  await p.deploy('svc', [a.address]);
  const ok = await request(p.port, '/');
  assert.equal(ok.status, 200);
  assert.equal(ok.body, 'first');
  p.server.router.remove('svc');
  assert.equal((await request(p.port, '/')).status, 404);
}));

test('multiple targets are used round robin', () => withProxy(async (p, t) => {
  const a = await t('a');
  const b = await t('b');
  await p.deploy('svc', [a.address, b.address]);
  const bodies = new Set<string>();
  for (let i = 0; i < 4; i++) bodies.add((await request(p.port, '/')).body);
  assert.deepEqual([...bodies].sort(), ['a', 'b']);
}));

test('hosts: several served, unknown host 404, port in Host ignored, host-less acts as wildcard', () => withProxy(async (p, t) => {
  const a = await t('a');
  const b = await t('b');
  await p.deploy('one', [a.address], { service: { hosts: ['s1.example.com', 's2.example.com'] } });
  assert.equal((await request(p.port, '/', { host: 's1.example.com' })).body, 'a');
  assert.equal((await request(p.port, '/', { host: 's2.example.com:80' })).body, 'a');
  assert.equal((await request(p.port, '/', { host: 'other.example.com' })).status, 404);
  await p.deploy('default', [b.address]);
  assert.equal((await request(p.port, '/', { host: 'other.example.com' })).body, 'b');
  assert.equal((await request(p.port, '/', { host: 's1.example.com' })).body, 'a');
}));

test('redeploying with a new host list drops the old host; redeploy switches targets', () => withProxy(async (p, t) => {
  const a = await t('a');
  const b = await t('b');
  await p.deploy('svc', [a.address], { service: { hosts: ['old.example.com'] } });
  await p.deploy('svc', [b.address], { service: { hosts: ['new.example.com'] } });
  assert.equal((await request(p.port, '/', { host: 'old.example.com' })).status, 404);
  assert.equal((await request(p.port, '/', { host: 'new.example.com' })).body, 'b');
}));

test('one-level wildcard hosts, exact wins, deeper levels fall to the default', () => withProxy(async (p, t) => {
  const [a, b, c, d] = [await t('first'), await t('second'), await t('exact'), await t('default')];
  await p.deploy('w1', [a.address], { service: { hosts: ['*.first.example.com'] } });
  await p.deploy('w2', [b.address], { service: { hosts: ['*.second.example.com'] } });
  await p.deploy('ex', [c.address], { service: { hosts: ['x.first.example.com'] } });
  await p.deploy('df', [d.address]);
  assert.equal((await request(p.port, '/', { host: 'y.first.example.com' })).body, 'first');
  assert.equal((await request(p.port, '/', { host: 'y.second.example.com' })).body, 'second');
  assert.equal((await request(p.port, '/', { host: 'x.first.example.com' })).body, 'exact');
  assert.equal((await request(p.port, '/', { host: 'a.b.first.example.com' })).body, 'default');
}));

test('path prefixes: segment boundaries, longest wins, stripping on and off', () => withProxy(async (p, t) => {
  const echo = async (name: string): Promise<TestTarget> => {
    const s = await startTarget(name, (req, res) => res.end(`${name}:${req.url}`));
    return s;
  };
  const [root, app, api] = [await echo('root'), await echo('app'), await echo('api')];
  try {
    await p.deploy('root', [root.address], { target: { healthCheck: { path: '/', port: 0, intervalMs: 50, timeoutMs: 1000, host: '' } } });
    await p.deploy('app', [app.address], { service: { pathPrefixes: ['/app'] }, target: { healthCheck: { path: '/', port: 0, intervalMs: 50, timeoutMs: 1000, host: '' } } });
    await p.deploy('api', [api.address], { service: { pathPrefixes: ['/api/internal'] }, target: { healthCheck: { path: '/', port: 0, intervalMs: 50, timeoutMs: 1000, host: '' } } });
    assert.equal((await request(p.port, '/app/show')).body, 'app:/show');
    assert.equal((await request(p.port, '/app')).body, 'app:/');
    assert.equal((await request(p.port, '/api/internal/something?a=b')).body, 'api:/something?a=b');
    assert.equal((await request(p.port, '/appointment')).body, 'root:/appointment');
    await p.deploy('app', [app.address], { service: { pathPrefixes: ['/app'], stripPrefix: false }, target: { healthCheck: { path: '/', port: 0, intervalMs: 50, timeoutMs: 1000, host: '' } } });
    assert.equal((await request(p.port, '/app/show')).body, 'app:/app/show');
  } finally {
    await Promise.all([root.close(), app.close(), api.close()]);
  }
}));

test('path prefixes on a host do not fall back to other hosts: unmatched path 404', () => withProxy(async (p, t) => {
  const a = await t('a');
  const b = await t('b');
  await p.deploy('paths', [a.address], { service: { hosts: ['h.example.com'], pathPrefixes: ['/first', '/second'] } });
  await p.deploy('default', [b.address]);
  assert.equal((await request(p.port, '/first/x', { host: 'h.example.com' })).body, 'a');
  assert.equal((await request(p.port, '/third', { host: 'h.example.com' })).status, 404);
  assert.equal((await request(p.port, '/', { host: 'h.example.com' })).status, 404);
}));

test('a host used by another service is refused and the first keeps serving; two host-less root services conflict', () => withProxy(async (p, t) => {
  const a = await t('a');
  const b = await t('b');
  await p.deploy('one', [a.address], { service: { hosts: ['dup.example.com'] } });
  await assert.rejects(p.deploy('two', [b.address], { service: { hosts: ['dup.example.com'] } }), /host settings conflict with another service/);
  assert.equal((await request(p.port, '/', { host: 'dup.example.com' })).body, 'a');
  await p.deploy('three', [a.address]);
  await assert.rejects(p.deploy('four', [b.address]), /host settings conflict with another service/);
}));

test('a target failing health checks is never installed', () => withProxy(async (p) => {
  const sick = await startTarget('sick', (_req, res) => { res.statusCode = 500; res.end(); });
  try {
    await assert.rejects(p.deploy('svc', [sick.address], { deployment: { deployTimeoutMs: 200 } }),
      /^Error: target failed to become healthy within configured timeout \(200ms\)$/);
    assert.equal((await request(p.port, '/')).status, 404);
  } finally {
    await sick.close();
  }
}));

test('--force installs at once; requests get 503 until a health check passes', () => withProxy(async (p) => {
  let healthy = false;
  const slow = await startTarget('slow', (req, res) => {
    if (req.url === '/up') { res.statusCode = healthy ? 200 : 500; return void res.end(); }
    res.end('slow');
  });
  try {
    await p.deploy('svc', [slow.address], { deployment: { force: true } });
    assert.equal((await request(p.port, '/')).status, 503);
    healthy = true;
    await waitFor('a health check to pass', async () => (await request(p.port, '/')).status !== 503);
    assert.equal((await request(p.port, '/')).body, 'slow');
  } finally {
    await slow.close();
  }
}));

test('options update atomically: buffering limit 413, then without buffering 200', () => withProxy(async (p, t) => {
  const a = await t('a');
  await p.deploy('svc', [a.address], { target: { bufferRequests: true, maxRequestBodySize: 10 } });
  assert.equal((await request(p.port, '/', { method: 'POST', body: 'x'.repeat(50) })).status, 413);
  await p.deploy('svc', [a.address]);
  assert.equal((await request(p.port, '/', { method: 'POST', body: 'x'.repeat(50) })).status, 200);
}));

test('TLS: HTTP redirects to HTTPS (port dropped), HTTPS serves with the custom certificate', () => withProxy(async (p, t) => {
  const a = await t('secure');
  writeFileSync(join(p.dir, 'cert.pem'), TEST_CERT);
  writeFileSync(join(p.dir, 'key.pem'), TEST_KEY);
  await p.deploy('svc', [a.address], {
    service: { hosts: ['example.com'], tlsEnabled: true, tlsCertificatePath: join(p.dir, 'cert.pem'), tlsPrivateKeyPath: join(p.dir, 'key.pem') },
    target: { forwardHeaders: false },
  });
  const redirect = await request(p.port, '/path?q=1', { host: 'example.com:8080' });
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, 'https://example.com/path?q=1');
  assert.equal(redirect.body, '');
  const secure = await request(p.httpsPort, '/', { host: 'example.com', https: true });
  assert.equal(secure.status, 200);
  assert.equal(secure.body, 'secure');
  assert.equal(a.requests.at(-1)!.headers['x-forwarded-proto'], 'https');
}));

test('TLS redirect off serves both schemes; HTTPS to a non-TLS service is 503', () => withProxy(async (p, t) => {
  const a = await t('a');
  const b = await t('b');
  writeFileSync(join(p.dir, 'cert.pem'), TEST_CERT);
  writeFileSync(join(p.dir, 'key.pem'), TEST_KEY);
  await p.deploy('tls', [a.address], {
    service: { hosts: ['example.com'], tlsEnabled: true, tlsRedirect: false, tlsCertificatePath: join(p.dir, 'cert.pem'), tlsPrivateKeyPath: join(p.dir, 'key.pem') },
  });
  assert.equal((await request(p.port, '/', { host: 'example.com' })).status, 200);
  assert.equal(a.requests.at(-1)!.headers['x-forwarded-proto'], 'http');
  await p.deploy('plain', [b.address], { service: { hosts: ['localhost'] } });
  // The certificate is chosen by SNI (example.com); the Host header routes to the plain service.
  const mismatch = await request(p.httpsPort, '/', { host: 'localhost', https: true, servername: 'example.com' });
  assert.equal(mismatch.status, 503);
}));

test('bad certificate or error-page dir: deploy fails, service and saved state unchanged', () => withProxy(async (p, t) => {
  const a = await t('a');
  const b = await t('b');
  await p.deploy('svc', [a.address], { service: { hosts: ['example.com'] } });
  const saved = readFileSync(join(p.dir, 'kamal-proxy.state'), 'utf8');
  await assert.rejects(p.deploy('svc', [b.address], {
    service: { hosts: ['example.com'], tlsEnabled: true, tlsCertificatePath: join(p.dir, 'missing.pem'), tlsPrivateKeyPath: join(p.dir, 'missing.pem') },
  }), /unable to load certificate/);
  await assert.rejects(p.deploy('svc', [b.address], { service: { hosts: ['example.com'], errorPagePath: p.dir } }), /unable to load error pages/);
  assert.equal((await request(p.port, '/', { host: 'example.com' })).body, 'a');
  assert.equal(readFileSync(join(p.dir, 'kamal-proxy.state'), 'utf8'), saved);
}));

test('canonical host: other hosts get a 301 to it', () => withProxy(async (p, t) => {
  const a = await t('a');
  await p.deploy('svc', [a.address], { service: { hosts: ['example.com', 'www.example.com'], canonicalHost: 'example.com' } });
  const r = await request(p.port, '/x', { host: 'www.example.com' });
  assert.equal(r.status, 301);
  assert.equal(r.headers.location, 'http://example.com/x');
  assert.equal((await request(p.port, '/x', { host: 'example.com' })).status, 200);
}));

test('pause: requests wait then 504; redeploy keeps it paused; resume serves; health path answered while paused', () => withProxy(async (p, t) => {
  const a = await t('a');
  await p.deploy('svc', [a.address], { service: { pathPrefixes: ['/api'] } });
  await p.server.router.pause('svc', 1000, 50);
  assert.equal((await request(p.port, '/api/other')).status, 504);
  assert.equal((await request(p.port, '/api/up')).status, 200);
  await p.deploy('svc', [a.address], { service: { pathPrefixes: ['/api'] } });
  assert.equal((await request(p.port, '/api/other')).status, 504);
  await p.server.router.pause('svc', 1000, 5000);
  const waiting = request(p.port, '/api/other');
  await waitFor('the request to queue', () => inFlight(p, 'svc') === 1);
  p.server.router.resume('svc');
  const released = await waiting;
  assert.equal(released.status, 200);
  assert.equal(released.body, 'a');
}));

test('stop: 503 page with the message, queued paused requests fail with it; resume serves', () => withProxy(async (p, t) => {
  const a = await t('a');
  await p.deploy('svc', [a.address]);
  await p.server.router.pause('svc', 1000, 5000);
  const waiting = request(p.port, '/other');
  await waitFor('the request to queue', () => inFlight(p, 'svc') === 1);
  await p.server.router.stop('svc', 1000, 'Back in 15 mins!');
  const q = await waiting;
  assert.equal(q.status, 503);
  assert.match(q.body, /Back in 15 mins!/);
  const r = await request(p.port, '/other');
  assert.equal(r.status, 503);
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal((await request(p.port, '/up')).status, 200);
  p.server.router.resume('svc');
  assert.equal((await request(p.port, '/other')).body, 'a');
}));

test('rollout: targets unused until set; allowlisted cookie goes to rollout; stop returns all to active', () => withProxy(async (p, t) => {
  const a = await t('first');
  const b = await t('second');
  await p.deploy('svc', [a.address]);
  assert.throws(() => p.server.router.rolloutSet('svc', 0, ['1']), /rollout target not set/);
  await p.server.router.rolloutDeploy('svc', [b.address], [], 5000, 1000);
  assert.equal((await request(p.port, '/', { headers: { cookie: 'kamal-rollout=1' } })).body, 'first');
  p.server.router.rolloutSet('svc', 0, ['1']);
  assert.equal((await request(p.port, '/', { headers: { cookie: 'kamal-rollout=1' } })).body, 'second');
  assert.equal((await request(p.port, '/', { headers: { cookie: 'kamal-rollout=2' } })).body, 'first');
  assert.equal((await request(p.port, '/')).body, 'first');
  p.server.router.rolloutStop('svc');
  assert.equal((await request(p.port, '/', { headers: { cookie: 'kamal-rollout=1' } })).body, 'first');
}));

test('state is saved and restored: default, TLS host (301), path service, stopped state', async () => {
  const a = await startTarget('a');
  const first = await startProxy();
  try {
    writeFileSync(join(first.dir, 'cert.pem'), TEST_CERT);
    writeFileSync(join(first.dir, 'key.pem'), TEST_KEY);
    await first.deploy('default', [a.address]);
    await first.deploy('tls', [a.address], { service: { hosts: ['example.com'], tlsEnabled: true, tlsCertificatePath: join(first.dir, 'cert.pem'), tlsPrivateKeyPath: join(first.dir, 'key.pem') } });
    await first.deploy('api', [a.address], { service: { pathPrefixes: ['/api'] } });
    await first.server.router.stop('api', 100, 'maintenance');
  } finally {
    await first.server.stop(); // keeps the directory with the state file for the second run
  }
  const second = await startProxy({ dir: first.dir });
  try {
    assert.equal((await request(second.port, '/')).body, 'a');
    assert.equal((await request(second.port, '/', { host: 'example.com' })).status, 301);
    const stopped = await request(second.port, '/api/x');
    assert.equal(stopped.status, 503);
    assert.match(stopped.body, /maintenance/);
  } finally {
    await second.stop();
    await a.close();
  }
});
