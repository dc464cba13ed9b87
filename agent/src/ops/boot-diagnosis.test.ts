import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeBootFailure, healthPathOf, probeHealth, type BootFacts } from './boot-diagnosis.js';

const base: BootFacts = { state: 'running', exitCode: 0, oomKilled: false, health: null, probe: null, appPort: 3000, healthPath: '/up', deployTimeout: 30 };

test('the likely cause of a failed health gate, for each thing people get wrong', () => {
  const cases: Array<[Partial<BootFacts>, string[]]> = [
    [{ probe: { kind: 'refused' } }, [
      'health check: nothing listens on port 3000 (connection refused)',
      'container: running',
      'likely cause: the app does not listen on port 3000: check proxy.app_port, and that the app binds 0.0.0.0 rather than 127.0.0.1 (or it had not started listening yet)',
    ]],
    [{ probe: { kind: 'answered', status: 404, statusText: 'Not Found', ms: 3, body: '<h1>Not\n Found</h1>' } }, [
      'health check: GET /up on port 3000 answered 404 Not Found in 3 ms: <h1>Not Found</h1>',
      'container: running',
      'likely cause: the app has no route at /up: add one, or point proxy.healthcheck.path at a route that answers 200',
    ]],
    [{ probe: { kind: 'answered', status: 200, statusText: 'OK', ms: 12, body: 'ok' } }, [
      'health check: GET /up on port 3000 answered 200 OK in 12 ms: ok',
      'container: running',
      'likely cause: the app answers now: it took longer to boot than deploy_timeout (30s); raise deploy_timeout',
    ]],
    [{ probe: { kind: 'answered', status: 301, statusText: 'Moved Permanently', ms: 2, body: '' } }, [
      'health check: GET /up on port 3000 answered 301 Moved Permanently in 2 ms',
      'container: running',
      "likely cause: /up redirects (often SSL redirection such as Rails' force_ssl): exclude the health check path from it",
    ]],
    [{ probe: { kind: 'answered', status: 500, statusText: 'Internal Server Error', ms: 40, body: 'boom' } }, [
      'health check: GET /up on port 3000 answered 500 Internal Server Error in 40 ms: boom',
      'container: running',
      'likely cause: the app fails at /up (500): see its last log lines below',
    ]],
    [{ probe: { kind: 'timeout', ms: 2000 } }, [
      'health check: GET /up on port 3000 got no answer within 2000 ms',
      'container: running',
      'likely cause: the app accepts connections on port 3000 but does not answer /up: it is still booting (slower than deploy_timeout 30s) or stuck',
    ]],
    [{ state: 'exited', exitCode: 1 }, [
      'container: exited (exit code 1)',
      'likely cause: the app exited with code 1 while booting: it crashed (a missing environment variable or secret is a common cause; see its last log lines below)',
    ]],
    [{ state: 'exited', exitCode: 137, oomKilled: true }, [
      'container: exited (exit code 137, killed for lack of memory)',
      'likely cause: the app was killed for running out of memory while booting',
    ]],
    [{ appPort: null, health: { status: 'unhealthy', failingStreak: 4, lastOutput: 'wget: server returned error: HTTP/1.1 404 Not Found\n' } }, [
      'container: running',
      'docker health: unhealthy, 4 failing checks in a row; last: wget: server returned error: HTTP/1.1 404 Not Found',
      "likely cause: the image's own HEALTHCHECK fails (its last output is above)",
    ]],
    [{ probe: { kind: 'answered', status: 200, statusText: 'OK', ms: 7, body: 'OK' }, gateError: 'docker exec kamal-proxy kamal-proxy deploy app-web failed on web-1: dial unix /tmp/kamal-proxy.sock: connect: no such file or directory' }, [
      'health check: GET /up on port 3000 answered 200 OK in 7 ms: OK',
      'container: running',
      'likely cause: kamal-proxy did not take the deploy (it is not running or not ready on this host): check `kamal-proxy` with `drover agents inventory`, and its logs',
    ]],
  ];
  for (const [facts, expected] of cases) assert.deepEqual(describeBootFailure({ ...base, ...facts }), expected);
});

test('healthPathOf reads kamal-proxy\'s --health-check-path, default /up', () => {
  assert.equal(healthPathOf(['--deploy-timeout=30s', '--health-check-path=/healthz']), '/healthz');
  assert.equal(healthPathOf(['--tls']), '/up');
});

test('probeHealth: an answer (status, time, bounded body), a refusal, a silence', async () => {
  const server = createServer((req, res) => {
    if (req.url === '/slow') return;
    res.writeHead(404, 'Not Found').end('x'.repeat(5000));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const answered = await probeHealth('127.0.0.1', port, '/up');
    assert.ok(answered.kind === 'answered');
    assert.deepEqual([answered.status, answered.statusText, answered.body.length <= 1024], [404, 'Not Found', true]);
    assert.deepEqual(await probeHealth('127.0.0.1', port, '/slow', 200), { kind: 'timeout', ms: 200 });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  assert.deepEqual(await probeHealth('127.0.0.1', port, '/up'), { kind: 'refused' });
});
