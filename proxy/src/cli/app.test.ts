/** The real `kamal-proxy` process: flags, output and exit codes as kamal-proxy gives them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { runCli, spawnProxy, startTarget, tempDir, request, waitFor, arrived } from '../test_support.js';

test('usage errors: unknown flag, bad values, missing args and required flags -> "Error: ..." and exit 1', async () => {
  const dir = tempDir();
  const env = { ...process.env, KAMAL_PROXY_SOCKET: join(dir.path, 'none.sock') };
  try {
    const cases: Array<[string[], string]> = [
      [['deploy', 'app', '--target=a:80', '--bogus'], 'Error: unknown flag: --bogus\n'],
      [['deploy', 'app'], 'Error: required flag(s) "target" not set\n'],
      [['deploy', '--target=a:80'], 'Error: accepts 1 arg(s), received 0\n'],
      [['deploy', 'app', '--target=a:80', '--deploy-timeout=soon'], 'Error: invalid argument "soon" for "--deploy-timeout" flag: time: invalid duration "soon"\n'],
      [['deploy', 'app', '--target=a:80', '--tls=maybe'], 'Error: invalid argument "maybe" for "--tls" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n'],
      [['deploy', 'app', '--target=a:80', '--buffer-memory=lots'], 'Error: invalid argument "lots" for "--buffer-memory" flag: strconv.ParseInt: parsing "lots": invalid syntax\n'],
      [['deploy', 'app', '--target=a:80', '--tls'], 'Error: service options invalid: host must be set when using TLS\n'],
      [['deploy', 'app', '--target=a:80', '--max-request-body=10'], 'Error: max-request-body can only be set when request buffering is enabled\n'],
      [['deploy', 'app', '--target=a:80', '--host=a.com', '--canonical-host=b.com'], "Error: service options invalid: canonical-host 'b.com' must be present in the hosts list: [a.com]\n"],
      [['frobnicate'], 'Error: unknown command "frobnicate" for "kamal-proxy"\nRun \'kamal-proxy --help\' for usage.\n'],
      [['rollout', 'set', 'app'], 'Error: at least one of the flags in the group [percent list] is required\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await runCli(args, env);
      assert.equal(r.stderr, stderr, args.join(' '));
      assert.equal(r.code, 1, args.join(' '));
    }
    const noServer = await runCli(['list'], env);
    assert.equal(noServer.code, 1);
    assert.equal(noServer.stderr, `Error: dial unix ${join(dir.path, 'none.sock')}: connect: no such file or directory\n`);
    const help = await runCli(['deploy', '--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--deploy-timeout duration +Maximum time to wait for the new target to become healthy \(default 30s\)/);
    const root = await runCli([], env);
    assert.match(root.stdout, /ACME/);
  } finally {
    dir.remove();
  }
});

test('deploy, list (ls), stop/resume, rollout and remove (rm) through the CLI against a running server', async () => {
  const dir = tempDir();
  const proxy = await spawnProxy(dir.path);
  const a = await startTarget('a');
  const b = await startTarget('b');
  try {
    const env = proxy.env;
    const ok = async (args: string[]): Promise<string> => {
      const r = await runCli(args, env);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    assert.equal(await ok(['deploy', 'app-web', `--target="${a.address}"`.replace(/"/g, ''), '--host=app.example.com', '--deploy-timeout="5s"'.replace(/"/g, ''), '--buffer-requests', '--buffer-responses', '--log-request-header=Cache-Control', '--log-request-header=User-Agent']), '');
    await ok(['deploy', 'api', `--target=${b.address}`, '--path-prefix=/api']);
    const list = await ok(['ls']);
    assert.deepEqual(list.split('\n').map((l) => l.split(/\s{2,}/)), [
      ['Service', 'Host', 'Path', 'Target', 'State', 'TLS'],
      ['api', '*', '/api', b.address, 'running', 'no'],
      ['app-web', 'app.example.com', '/', a.address, 'running', 'no'],
      [''],
    ]);
    assert.equal((await request(proxy.httpPort, '/', { host: 'app.example.com' })).body, 'a');
    await ok(['stop', 'app-web', '--drain-timeout=1s', '--message=Back soon']);
    assert.match(await ok(['list']), /app-web .* stopped/);
    const stopped = await request(proxy.httpPort, '/', { host: 'app.example.com' });
    assert.equal(stopped.status, 503);
    assert.match(stopped.body, /Back soon/);
    await ok(['resume', 'app-web']);
    assert.equal((await request(proxy.httpPort, '/', { host: 'app.example.com' })).body, 'a');
    await ok(['pause', 'app-web', '--max-pause=50ms']);
    assert.equal((await request(proxy.httpPort, '/', { host: 'app.example.com' })).status, 504);
    await ok(['resume', 'app-web']);
    await ok(['rollout', 'deploy', 'app-web', `--target=${b.address}`]);
    await ok(['rollout', 'set', 'app-web', '--list=7']);
    assert.equal((await request(proxy.httpPort, '/', { host: 'app.example.com', headers: { cookie: 'kamal-rollout=7' } })).body, 'b');
    await ok(['rollout', 'stop', 'app-web']);
    await ok(['rm', 'api']);
    const missing = await runCli(['remove', 'api'], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error: service not found\n');
    const badTarget = await runCli(['deploy', 'x', '--target=_'], env);
    assert.equal(badTarget.code, 1);
    assert.equal(badTarget.stderr, 'Error: _ :invalid host pattern\n');
    const state = JSON.parse(readFileSync(join(dir.path, 'config', 'kamal-proxy', 'kamal-proxy.state'), 'utf8'));
    assert.equal(state[0].name, 'app-web');
    assert.deepEqual(state[0].active_targets, [a.address]);
    assert.equal(state[0].target_options.health_check_config.interval, 1_000_000_000);
    assert.deepEqual(state[0].target_options.log_request_headers, ['Cache-Control', 'User-Agent']);
    const log = proxy.output().split('\n').filter((l) => l.includes('"msg":"Request"')).map((l) => JSON.parse(l));
    assert.ok(log.some((l) => l.service === 'app-web' && l.status === 200 && 'req_cache_control' in l && l.req_user_agent === ''));
  } finally {
    await proxy.stop();
    await a.close();
    await b.close();
    dir.remove();
  }
});

test('state survives a restart (targets serve at once) and SIGTERM lets in-flight requests finish', async () => {
  const dir = tempDir();
  const slow = await startTarget('slow', (req, res) => (req.url === '/up' ? res.end() : void setTimeout(() => res.end('finished'), 300)));
  try {
    const first = await spawnProxy(dir.path);
    const deployed = await runCli(['deploy', 'app', `--target=${slow.address}`, '--host=h.example.com'], first.env);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.equal(await first.stop(), 0);
    const second = await spawnProxy(dir.path);
    const inflight = request(second.httpPort, '/work', { host: 'h.example.com' });
    await waitFor('the request to reach the target', () => arrived(slow, '/work') === 1);
    const exit = second.stop('SIGTERM');
    assert.equal((await inflight).body, 'finished');
    assert.equal(await exit, 0);
    await assert.rejects(new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port: second.httpPort }, resolve).on('error', reject)));
  } finally {
    await slow.close();
    dir.remove();
  }
});
