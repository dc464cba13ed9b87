import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { workerCount } from './cluster_messages.js';
import { arrived, request, runCli, spawnProxy, startTarget, tempDir, waitFor, type TestTarget } from './test_support.js';

// `kamal-proxy run` with KAMAL_PROXY_WORKERS=2: the primary deploys, every worker switches and drains.
// Requests use a new connection each, so the kernel spreads them over both workers.

const twoWorkers = { KAMAL_PROXY_WORKERS: '2' };

test('KAMAL_PROXY_WORKERS: a positive integer, else one worker per CPU', () => {
  assert.equal(workerCount('3', 2), 3);
  assert.equal(workerCount(undefined, 4), 4);
  for (const bad of ['0', '-1', 'two', '', '1.5']) assert.equal(workerCount(bad, 2), 2, bad);
  assert.equal(workerCount(undefined, 0), 1);
});

async function bodies(port: number, n: number, path = '/'): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, async () => (await request(port, path)).body));
}

test('multi-worker: a deploy returns only once every worker serves the new target and has drained the old one', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const proxy = await spawnProxy(dir.path, [], twoWorkers);
  const targets: TestTarget[] = [];
  try {
    assert.match(proxy.output(), /"msg":"Server started".*"workers":2/);
    const slow = (name: string) => startTarget(name, (req, res) => {
      if (req.url === '/up') return void res.end('up');
      if (req.url === '/slow') return void setTimeout(() => res.end(`${name} slow`), 800);
      res.end(name);
    });
    const first = await slow('first');
    const second = await slow('second');
    targets.push(first, second);
    const flags = ['--health-check-interval=100ms', '--drain-timeout=5s'];
    assert.equal((await runCli(['deploy', 'app', `--target=${first.address}`, ...flags], proxy.env)).code, 0);
    assert.deepEqual(new Set(await bodies(proxy.httpPort, 40)), new Set(['first']));

    // Slow requests in flight on the old target, in both workers; the deploy waits for all of them.
    const inflight = Array.from({ length: 8 }, () => request(proxy.httpPort, '/slow').then((r) => ({ ...r, at: Date.now() })));
    await waitFor('8 slow requests in flight on the old target', () => arrived(first, '/slow') === 8);
    const deploy = await runCli(['deploy', 'app', `--target=${second.address}`, ...flags], proxy.env);
    const deployedAt = Date.now();
    assert.equal(deploy.code, 0, deploy.stderr);
    const slowReplies = await Promise.all(inflight);
    for (const r of slowReplies) {
      assert.equal(r.status, 200);
      assert.equal(r.body, 'first slow');
      assert.ok(r.at <= deployedAt + 50, 'the old target drained before deploy returned');
    }
    assert.deepEqual(new Set(await bodies(proxy.httpPort, 40)), new Set(['second']), 'every worker switched');

    // A refused deploy changes nothing in any worker.
    const refused = await runCli(['deploy', 'app', '--target=127.0.0.1:1', '--health-check-interval=100ms', '--deploy-timeout=500ms'], proxy.env);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, 'Error: target failed to become healthy within configured timeout (500ms)\n');
    assert.deepEqual(new Set(await bodies(proxy.httpPort, 20)), new Set(['second']));

    // Stop and resume reach every worker.
    assert.equal((await runCli(['stop', 'app', '--message=maintenance'], proxy.env)).code, 0);
    const stopped = await Promise.all(Array.from({ length: 20 }, () => request(proxy.httpPort, '/')));
    assert.deepEqual(new Set(stopped.map((r) => r.status)), new Set([503]));
    assert.equal((await runCli(['resume', 'app'], proxy.env)).code, 0);
    assert.deepEqual(new Set(await bodies(proxy.httpPort, 20)), new Set(['second']));
  } finally {
    assert.equal(await proxy.stop(), 0);
    await Promise.all(targets.map((t) => t.close()));
    dir.remove();
  }
});

test('multi-worker: the primary\'s health checks take an unhealthy target out of every worker; metrics add up across workers', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const metricsPort = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
  const proxy = await spawnProxy(dir.path, [`--metrics-port=${metricsPort}`], twoWorkers);
  let sick = false;
  const a = await startTarget('a', (req, res) => {
    if (req.url === '/up') { res.statusCode = sick ? 503 : 200; return void res.end(); }
    res.end('a');
  });
  const b = await startTarget('b');
  try {
    const deploy = await runCli(['deploy', 'app', `--target=${a.address}`, `--target=${b.address}`, '--health-check-interval=100ms'], proxy.env);
    assert.equal(deploy.code, 0, deploy.stderr);
    let sent = 0;
    const served = async (): Promise<string> => {
      sent += 40;
      return [...new Set(await bodies(proxy.httpPort, 40))].sort().join(',');
    };
    assert.equal(await served(), 'a,b');
    sick = true;
    await waitFor('every worker to drop the unhealthy target', async () => (await served()) === 'b');
    assert.equal(await served(), 'b', 'no worker routes to the unhealthy target');
    sick = false;
    await waitFor('every worker to take the target back', async () => (await served()) === 'a,b');

    const metrics = await request(metricsPort, '/metrics');
    const total = [...metrics.body.matchAll(/^kamal_proxy_http_requests_total\{service="app",method="GET",status="200"\} (\d+)$/gm)];
    assert.equal(total.length, 1, metrics.body);
    assert.equal(Number(total[0]![1]), sent);
  } finally {
    assert.equal(await proxy.stop(), 0);
    await a.close();
    await b.close();
    dir.remove();
  }
});
