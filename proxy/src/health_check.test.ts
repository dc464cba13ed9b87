import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildHealthCheckUrl, checkOnce, HealthCheck } from './health_check.js';

async function server(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/up`, close: () => new Promise((r) => { s.closeAllConnections(); s.close(() => r()); }) };
}

test('2xx is healthy; 500, slow answers and refused connections are not', async () => {
  const codes = [200, 500];
  const s = await server((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end(), 300);
    res.statusCode = codes.shift() ?? 204;
    res.end();
  });
  try {
    assert.equal(await checkOnce(s.url, '', 1000), true);
    assert.equal(await checkOnce(s.url, '', 1000), false);
    assert.equal(await checkOnce(s.url.replace('/up', '/slow'), '', 50), false);
  } finally {
    await s.close();
  }
  assert.equal(await checkOnce(s.url, '', 1000), false);
});

test('checks repeat every interval until they pass; custom Host header is sent', async () => {
  const answers = [502, 502, 200];
  const hosts: string[] = [];
  const s = await server((req, res) => {
    hosts.push(req.headers.host ?? '');
    assert.equal(req.headers['user-agent'], 'kamal-proxy');
    res.statusCode = answers.shift() ?? 200;
    res.end();
  });
  const results: boolean[] = [];
  const check = new HealthCheck(s.url, { path: '/up', port: 0, intervalMs: 20, timeoutMs: 500, host: 'app.internal' }, (ok) => results.push(ok));
  try {
    check.start();
    while (!results.includes(true)) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(results.slice(0, 3), [false, false, true]);
    assert.equal(hosts[0], 'app.internal');
  } finally {
    check.stop();
    await s.close();
  }
});

test('health check URLs', () => {
  assert.equal(buildHealthCheckUrl('localhost:3000', { path: '/up', port: 0 }), 'http://localhost:3000/up');
  assert.equal(buildHealthCheckUrl('localhost:3000', { path: '/health', port: 8080 }), 'http://localhost:8080/health');
  assert.equal(buildHealthCheckUrl('app', { path: 'up', port: 0 }), 'http://app/up');
});
