/**
 * Zero downtime, proven: the real `kamal-proxy run` process, load through it at well over
 * 200 req/s (keep-alive and fresh connections), 20 target switches via the real
 * `kamal-proxy deploy` CLI — each old target shut down as soon as deploy returns, as Kamal
 * does — including one switch to a target that never becomes healthy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnProxy, startTarget, tempDir, runCli, type TestTarget } from './test_support.js';

interface LoadStats {
  ok: number;
  failed: number;
  serverErrors: number;
  errors: string[];
  byTarget: Map<string, number>;
}

/** Closed-loop load: `workers` concurrent request loops until stopped. */
function startLoad(port: number, workers: number, keepAlive: boolean, stats: LoadStats): () => Promise<void> {
  const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: workers }) : false;
  let running = true;
  const one = (): Promise<void> => new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/work', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if (res.statusCode === 200) {
          stats.ok++;
          stats.byTarget.set(body, (stats.byTarget.get(body) ?? 0) + 1);
        } else {
          stats.failed++;
          if ((res.statusCode ?? 0) >= 500) stats.serverErrors++;
          stats.errors.push(`status ${res.statusCode}: ${body.slice(0, 80)}`);
        }
        resolve();
      });
      res.on('error', (err) => { stats.failed++; stats.errors.push(err.message); resolve(); });
    });
    req.on('error', (err) => { stats.failed++; stats.errors.push(err.message); resolve(); });
  });
  const loops = Array.from({ length: workers }, async () => {
    while (running) await one();
  });
  return async () => {
    running = false;
    await Promise.all(loops);
    if (agent) agent.destroy();
  };
}

// Single-process mode and node:cluster mode (the primary deploys, every worker switches and drains).
for (const workers of ['1', '2']) {
  test(`20 target switches under load: no failed requests, no 5xx, a never-healthy target is refused (KAMAL_PROXY_WORKERS=${workers})`, { timeout: 90_000 }, async () => {
    const dir = tempDir();
    const proxy = await spawnProxy(dir.path, [], { KAMAL_PROXY_WORKERS: workers });
    if (workers !== '1') assert.match(proxy.output(), new RegExp(`"workers":${workers}`), 'the proxy runs in multi-worker mode');
    const targets: TestTarget[] = [];
    try {
      let generation = 0;
      const newTarget = async (): Promise<TestTarget> => {
        const name = `gen-${generation++}`;
        const t = await startTarget(name, (req, res) => {
          if (req.url === '/up') return void res.end('up');
          // A little work, so requests are in flight while switches happen.
          setTimeout(() => res.end(name), 2);
        });
        targets.push(t);
        return t;
      };
      const deployFlags = ['--health-check-interval=100ms', '--deploy-timeout=5s', '--drain-timeout=5s'];
      let current = await newTarget();
      const first = await runCli(['deploy', 'app', `--target=${current.address}`, ...deployFlags], proxy.env);
      assert.equal(first.code, 0, first.stderr);

      const stats: LoadStats = { ok: 0, failed: 0, serverErrors: 0, errors: [], byTarget: new Map() };
      const started = Date.now();
      const stopKeepAlive = startLoad(proxy.httpPort, 4, true, stats);
      const stopFresh = startLoad(proxy.httpPort, 2, false, stats);

      let switches = 0;
      let refused = 0;
      for (let i = 0; i < 20; i++) {
        if (i === 10) {
          // Never healthy: /up answers 500. deploy must fail and leave the current target serving.
          const bad = await startTarget('bad', (_req, res) => { res.statusCode = 500; res.end('no'); });
          targets.push(bad);
          const failed = await runCli(['deploy', 'app', `--target=${bad.address}`, '--health-check-interval=100ms', '--deploy-timeout=1s'], proxy.env);
          assert.equal(failed.code, 1);
          assert.match(failed.stderr, /^Error: target failed to become healthy within configured timeout \(1s\)/);
          await bad.close();
          refused++;
          continue;
        }
        const next = await newTarget();
        const result = await runCli(['deploy', 'app', `--target=${next.address}`, ...deployFlags], proxy.env);
        assert.equal(result.code, 0, result.stderr);
        // As Kamal does: the old container is stopped as soon as deploy returns.
        await current.close();
        current = next;
        switches++;
      }
      await stopKeepAlive();
      await stopFresh();
      const seconds = (Date.now() - started) / 1000;
      const total = stats.ok + stats.failed;
      const rate = total / seconds;

      assert.equal(switches + refused, 20);
      assert.deepEqual(stats.errors.slice(0, 5), []);
      assert.equal(stats.failed, 0);
      assert.equal(stats.serverErrors, 0);
      assert.ok(rate >= 200, `load was ${rate.toFixed(0)} req/s, expected >= 200`);
      assert.ok(stats.byTarget.size >= 15, `responses came from ${stats.byTarget.size} generations`);
      assert.ok(!stats.byTarget.has('bad'));
      const list = await runCli(['list'], proxy.env);
      assert.match(list.stdout, new RegExp(current.address));
      console.log(`zero-downtime (${workers} worker(s)): ${total} requests in ${seconds.toFixed(1)} s (${rate.toFixed(0)} req/s), ${switches} switches + ${refused} refused, 0 failed`);
    } finally {
      await proxy.stop();
      await Promise.all(targets.map((t) => t.close()));
      dir.remove();
    }
  });
}
