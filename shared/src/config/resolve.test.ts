import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kamalProxyDeployArgs } from '../config.js';
import { kamalProxyDeployCommand } from './resolve/proxy-args.js';
import { chooseVersion } from './resolve/version.js';
import { BASE, load } from './test-support.js';

const WEB = 'servers: [1.1.1.1]\n';

test('servers: array form with tags is the single role web', async () => {
  const c = await load(BASE + 'servers:\n  - 1.1.1.1\n  - 1.1.1.2: east\n  - 1.1.1.3: [east, big]\n');
  assert.deepEqual(c.roles.map((r) => r.name), ['web']);
  assert.deepEqual(c.roles[0]!.hosts, [
    { host: '1.1.1.1', tags: [] },
    { host: '1.1.1.2', tags: ['east'] },
    { host: '1.1.1.3', tags: ['east', 'big'] },
  ]);
  assert.equal(c.primaryHost, '1.1.1.1');
});

test('servers: hash of role lists and role hashes; primary_role picks the primary host', async () => {
  const c = await load(BASE + 'primary_role: api\nservers:\n  web: [1.1.1.1]\n  api:\n    hosts: [1.1.1.9, 1.1.1.8]\n    cmd: bin/api\n    stop_timeout: 12\n');
  assert.deepEqual(c.roles.map((r) => [r.name, r.primary, r.cmd]), [['web', false, null], ['api', true, 'bin/api']]);
  assert.equal(c.primaryRole, 'api');
  assert.equal(c.primaryHost, '1.1.1.9');
  assert.equal(c.roles[1]!.stopTimeout, 12);
  // The api role is primary so it proxies; web is not primary and has no proxy: stop -t = drain_timeout.
  assert.ok(c.roles[1]!.proxy);
  assert.equal(c.roles[0]!.proxy, null);
  assert.equal(c.roles[0]!.stopTimeout, 30);
});

test('allow_empty_roles accepts a role without hosts', async () => {
  const c = await load(BASE + 'allow_empty_roles: true\nservers:\n  web: [1.1.1.1]\n  jobs: []\n');
  assert.deepEqual(c.roles[1]!.hosts, []);
});

test('accessories without servers are allowed', async () => {
  const c = await load(BASE + 'accessories:\n  redis:\n    image: redis:7\n    host: 1.1.1.5\n');
  assert.deepEqual(c.roles, []);
  assert.equal(c.primaryHost, null);
  assert.deepEqual(c.hosts, ['1.1.1.5']);
});

test('env: root, role and host-tag envs merge in order; secrets union with aliasing', async () => {
  const c = await load(BASE + `servers:
  web:
    hosts: [1.1.1.1, 1.1.1.2: [east, big]]
    env:
      clear: { ROLE: web, SHARED: role }
      secret: [ROLE_KEY]
env:
  clear: { SHARED: root, ROOT: "1", EMPTY: "" }
  secret: [DB_PASSWORD, "API_TOKEN:PROD_API_TOKEN"]
  tags:
    east:
      REGION: east
      SHARED: east
    big:
      clear: { SIZE: big, SHARED: big }
      secret: [BIG_KEY]
`);
  const web = c.roles[0]!;
  assert.deepEqual(web.env.clear, { SHARED: 'role', ROOT: '1', EMPTY: '', ROLE: 'web' });
  assert.deepEqual(web.env.secrets, [
    { name: 'DB_PASSWORD', secret: 'DB_PASSWORD' },
    { name: 'API_TOKEN', secret: 'PROD_API_TOKEN' },
    { name: 'ROLE_KEY', secret: 'ROLE_KEY' },
  ]);
  assert.deepEqual(web.envByHost['1.1.1.1'], web.env);
  assert.deepEqual(web.envByHost['1.1.1.2']!.clear, { SHARED: 'big', ROOT: '1', EMPTY: '', ROLE: 'web', REGION: 'east', SIZE: 'big' });
  assert.deepEqual(web.envByHost['1.1.1.2']!.secrets.map((s) => s.name), ['DB_PASSWORD', 'API_TOKEN', 'ROLE_KEY', 'BIG_KEY']);
});

test('env: simple form values become strings', async () => {
  const c = await load(BASE + WEB + 'env:\n  PORT: 3000\n  DEBUG: false\n');
  assert.deepEqual(c.roles[0]!.env.clear, { PORT: '3000', DEBUG: 'false' });
});

test('names, labels, image and tags', async () => {
  const c = await load(BASE.replace('registry:\n', 'registry:\n  server: ghcr.io\n') + WEB + 'labels:\n  team: core\n');
  const web = c.roles[0]!;
  assert.equal(web.containerPrefix, 'app-web');
  assert.equal(web.containerName, 'app-web-999');
  assert.deepEqual(web.labels, { service: 'app', role: 'web', destination: '', team: 'core' });
  assert.deepEqual(c.image, { name: 'dhh/app', repository: 'ghcr.io/dhh/app', ref: 'ghcr.io/dhh/app:999', latestTag: 'latest', latestRef: 'ghcr.io/dhh/app:latest' });
});

test('local registry: no credentials needed, image defaults to service', async () => {
  const c = await load(BASE.replace(/image: .*\n/, '').replace(/registry:\n(  .*\n)+/, 'registry:\n  server: localhost:5555\n') + WEB);
  assert.equal(c.registry.local, true);
  assert.equal(c.image.ref, 'localhost:5555/app:999');
});

test('logging: default max-size, role deep-merged over root', async () => {
  const a = await load(BASE + WEB);
  assert.deepEqual(a.roles[0]!.logging, { driver: null, options: { 'max-size': '10m' } });
  const b = await load(BASE + 'logging:\n  driver: json-file\n  options:\n    max-size: 100m\nservers:\n  web:\n    hosts: [1.1.1.1]\n    logging:\n      options:\n        max-file: "3"\n');
  assert.deepEqual(b.roles[0]!.logging, { driver: 'json-file', options: { 'max-size': '100m', 'max-file': '3' } });
});

test('root defaults and timing keys', async () => {
  const a = await load(BASE + WEB);
  assert.deepEqual(a.timeouts, { deploy: 30, drain: 30, readinessDelay: 7, stop: null });
  assert.equal(a.retainContainers, 5);
  assert.equal(a.secretsPath, '.kamal/secrets');
  assert.equal(a.hooks.path, '.kamal/hooks');
  const b = await load(BASE + WEB + 'deploy_timeout: 60\ndrain_timeout: 5\nreadiness_delay: 2\nstop_timeout: 9\nretain_containers: 3\nsecrets_path: sec/x\nhooks_path: h\nrun_directory: /ignored\nboot:\n  limit: 25%\n  wait: 2\n  parallel_roles: true\nvolumes: ["/data:/data"]\nasset_path: /rails/public/assets\n');
  assert.deepEqual(b.timeouts, { deploy: 60, drain: 5, readinessDelay: 2, stop: 9 });
  assert.deepEqual(b.boot, { limit: '25%', wait: 2, parallelRoles: true });
  assert.deepEqual(b.roles[0]!.volumes, ['/data:/data']);
  assert.equal(b.roles[0]!.assetPath, '/rails/public/assets');
  assert.equal(b.secretsPath, 'sec/x');
});

test('proxy: default deploy command matches Kamal byte for byte', async () => {
  const c = await load(BASE + WEB + 'proxy:\n  host: example.com\n  ssl: true\n');
  assert.equal(
    kamalProxyDeployCommand('app-web', c.roles[0]!.proxy!, '172.1.0.2'),
    'docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --host="example.com" --tls --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"',
  );
});

test('proxy: every key, in Kamal order, as shell-free argv', async () => {
  const c = await load(BASE + WEB + `error_pages_path: public/errors
proxy:
  hosts: [a.com, b.com]
  app_port: 3000
  ssl:
    certificate_pem: CERT
    private_key_pem: KEY
  ssl_redirect: false
  forward_headers: true
  response_timeout: 10
  path_prefix: /api,/v2
  strip_path_prefix: false
  healthcheck: { interval: 3, timeout: 4, path: /health }
  buffering: { requests: false, responses: true, memory: 1_000, max_request_body: 2000, max_response_body: 3000 }
  logging: { request_headers: [X-Req], response_headers: [X-Res] }
`);
  assert.deepEqual(kamalProxyDeployArgs(c, 'web', 'cid'), [
    'kamal-proxy', 'deploy', 'app-web', '--target=cid:3000', '--host=a.com', '--host=b.com', '--tls',
    '--tls-certificate-path=/home/kamal-proxy/.apps-config/app/tls/web/cert.pem',
    '--tls-private-key-path=/home/kamal-proxy/.apps-config/app/tls/web/key.pem',
    '--deploy-timeout=30s', '--drain-timeout=30s', '--health-check-interval=3s', '--health-check-timeout=4s',
    '--health-check-path=/health', '--target-timeout=10s', '--buffer-requests=false', '--buffer-responses',
    '--buffer-memory=1000', '--max-request-body=2000', '--max-response-body=3000', '--path-prefix=/api', '--path-prefix=/v2',
    '--strip-path-prefix=false', '--forward-headers', '--tls-redirect=false', '--log-request-header=X-Req',
    '--log-response-header=X-Res', '--error-pages=/home/kamal-proxy/.apps-config/app/error_pages/999',
  ]);
  assert.deepEqual(c.roles[0]!.proxy!.customCertificates, { certificatePem: 'CERT', privateKeyPem: 'KEY' });
});

test('proxy: role proxy deep-merges over root (run included); false disables; non-primary needs true', async () => {
  const c = await load(BASE + `proxy:
  host: a.com
  healthcheck: { path: /up2, interval: 2 }
  run: { http_port: 8080, metrics_port: 9090 }
servers:
  web:
    hosts: [1.1.1.1]
    proxy:
      healthcheck: { interval: 5 }
  api:
    hosts: [1.1.1.2]
    proxy: true
  jobs:
    hosts: [1.1.1.3]
  cron:
    hosts: [1.1.1.4]
    proxy: false
`);
  const [web, api, jobs, cron] = c.roles;
  assert.deepEqual(web!.proxy!.healthcheck, { interval: 5, timeout: 5, path: '/up2' });
  assert.deepEqual(web!.proxy!.hosts, ['a.com']);
  assert.equal(web!.proxy!.run!.httpPort, 8080);
  assert.equal(web!.proxy!.run!.image, 'basecamp/kamal-proxy:v0.9.2');
  assert.equal(api!.proxy!.healthcheck.interval, 2);
  assert.equal(jobs!.proxy, null);
  assert.equal(cron!.proxy, null);
  assert.equal(kamalProxyDeployArgs(c, 'jobs', 'x'), null);
  assert.deepEqual(c.proxyRunByHost['1.1.1.1'], {
    httpPort: 8080, httpsPort: 443, bindIps: [], publish: true, metricsPort: 9090, debug: false, logMaxSize: '10m',
    registry: null, repository: 'basecamp/kamal-proxy', version: 'v0.9.2', image: 'basecamp/kamal-proxy:v0.9.2', options: {},
  });
  assert.equal(c.proxyRunByHost['1.1.1.3'], null);
});

test('proxy: accessory proxy does not inherit the root proxy', async () => {
  const c = await load(BASE + WEB + 'proxy:\n  host: a.com\n  app_port: 3000\naccessories:\n  grafana:\n    image: grafana\n    host: 1.1.1.1\n    proxy:\n      host: g.com\n');
  const g = c.accessories[0]!.proxy!;
  assert.equal(g.appPort, 80);
  assert.deepEqual(g.hosts, ['g.com']);
  assert.equal(kamalProxyDeployCommand('app-grafana', g, 'c').includes('--host="g.com"'), true);
});

test('proxy: a host that runs kamal-proxy only for an accessory boots it with the root proxy/run', async () => {
  const c = await load(BASE + 'proxy:\n  run:\n    registry: registry.test:5443\n    http_port: 8080\naccessories:\n  relay:\n    image: busybox\n    host: 9.9.9.9\n    proxy:\n      host: relay.test\n  plain:\n    image: busybox\n    host: 9.9.9.8\n');
  assert.equal(c.proxyRunByHost['9.9.9.9']!.httpPort, 8080);
  assert.equal(c.proxyRunByHost['9.9.9.9']!.image, 'registry.test:5443/basecamp/kamal-proxy:v0.9.2');
  assert.equal(c.proxyRunByHost['9.9.9.8'], null, 'no kamal-proxy there');
});

test('accessories: hosts from host/hosts/role/roles/tag/tags, service, image registry, port, mounts', async () => {
  const c = await load(BASE + `servers:
  web: [1.1.1.1, 1.1.1.2: db]
  jobs: [1.1.1.3: [db, x]]
accessories:
  a: { image: i, host: 9.9.9.9 }
  b: { image: i, hosts: [9.9.9.8, 9.9.9.7] }
  c: { image: i, role: jobs }
  d: { image: i, roles: [web, jobs] }
  e: { image: i, tag: db }
  f: { image: i, tags: [x] }
  mysql:
    service: mysql
    image: mysql:8
    registry: { server: reg.io, username: u, password: [P] }
    host: 1.1.1.1
    port: "127.0.0.1:3306:3306"
    cmd: --max-connections=5
    labels: { team: db }
    options: { restart: always, memory: 2g }
    env:
      clear: { MYSQL_ROOT_HOST: "%" }
      secret: [MYSQL_ROOT_PASSWORD]
    volumes: [/raw:/raw]
    files:
      - config/my.cnf:/etc/mysql/my.cnf
      - { local: init.sql, remote: /docker-entrypoint-initdb.d/init.sql, mode: "0644" }
    directories:
      - data:/var/lib/mysql
      - /abs:/abs:ro
  redis: { image: redis, host: 1.1.1.1, port: 6379 }
`);
  const hosts = Object.fromEntries(c.accessories.map((a) => [a.name, a.hosts]));
  assert.deepEqual(hosts, {
    a: ['9.9.9.9'], b: ['9.9.9.8', '9.9.9.7'], c: ['1.1.1.3'], d: ['1.1.1.1', '1.1.1.2', '1.1.1.3'],
    e: ['1.1.1.2', '1.1.1.3'], f: ['1.1.1.3'], mysql: ['1.1.1.1'], redis: ['1.1.1.1'],
  });
  const mysql = c.accessories.find((a) => a.name === 'mysql')!;
  assert.equal(mysql.service, 'mysql');
  assert.equal(mysql.image, 'reg.io/mysql:8');
  assert.equal(mysql.publish, '127.0.0.1:3306:3306');
  assert.equal(mysql.restartPolicy, 'always');
  assert.deepEqual(mysql.options, { memory: '2g' });
  assert.deepEqual(mysql.labels, { service: 'mysql', team: 'db' });
  assert.deepEqual(mysql.env, { clear: { MYSQL_ROOT_HOST: '%' }, secrets: [{ name: 'MYSQL_ROOT_PASSWORD', secret: 'MYSQL_ROOT_PASSWORD' }] });
  assert.deepEqual(mysql.volumeArgs, [
    '/raw:/raw',
    '$PWD/mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf',
    '$PWD/mysql/docker-entrypoint-initdb.d/init.sql:/docker-entrypoint-initdb.d/init.sql',
    '$PWD/mysql/data:/var/lib/mysql',
    '/abs:/abs:ro',
  ]);
  assert.equal(mysql.files[0]!.mode, '755');
  assert.equal(mysql.files[1]!.mode, '0644');
  const redis = c.accessories.find((a) => a.name === 'redis')!;
  assert.equal(redis.service, 'app-redis');
  assert.equal(redis.publish, '6379:6379');
});

test('version: flag, then $VERSION, then git SHA with the uncommitted rule', () => {
  const git = (sha: string | null, dirty: boolean) => () => ({ sha, dirty });
  const random = () => '0123456789abcdef';
  assert.equal(chooseVersion({ flag: 'v1', envVersion: 'v2', git: git('abc', false), builderContext: undefined, cwd: '/p' }), 'v1');
  assert.equal(chooseVersion({ envVersion: 'v2', git: git('abc', false), builderContext: undefined, cwd: '/p' }), 'v2');
  assert.equal(chooseVersion({ git: git('abc', true), builderContext: undefined, cwd: '/p', random }), 'abc');
  assert.equal(chooseVersion({ git: git('abc', true), builderContext: '.', cwd: '/p', random }), 'abc_uncommitted_0123456789abcdef');
  assert.throws(() => chooseVersion({ git: git(null, false), builderContext: undefined, cwd: '/p' }), /Can't use commit hash as version, no git repository found in \/p/);
});

test('version: abbreviated to 7 characters unless it contains _', async () => {
  assert.equal((await load(BASE + WEB, { version: '0123456789abcdef' })).abbreviatedVersion, '0123456');
  assert.equal((await load(BASE + WEB, { version: 'abcdef0123_uncommitted_x' })).abbreviatedVersion, 'abcdef0123_uncommitted_x');
});

test('version: $VERSION from the given env', async () => {
  assert.equal((await load(BASE + WEB, { version: undefined, env: { VERSION: 'from-env' } })).version, 'from-env');
});

test('ssh, sshkit, builder keys and aliases are accepted', async () => {
  const c = await load(BASE + `  remote: ssh://me@builder
  local: true
  context: .
  dockerfile: Dockerfile.prod
  target: prod
  args: { RUBY_VERSION: 3.3 }
  secrets: [GITHUB_TOKEN]
  ssh: default
  driver: docker
  provenance: mode=max
  sbom: true
  cache: { type: registry, options: mode=max, image: cache }
` + WEB + 'ssh:\n  user: app\n  port: 2222\n  keys: [~/.ssh/id]\n  config: true\nsshkit:\n  max_concurrent_starts: 10\n  pool_idle_timeout: 300\naliases:\n  shell: app exec -i bash\nx-drover:\n  controller: https://c:7443\n  agent_timeout: 20\n');
  assert.equal(c.builder!.context, '.');
  assert.deepEqual(c.builder!.secrets, ['GITHUB_TOKEN']);
  assert.deepEqual(c.aliases, { shell: 'app exec -i bash' });
  assert.deepEqual(c.drover, { controller: 'https://c:7443', project: 'app', agentTimeout: 20, offline: 'fail', autoRollback: true, roleLabels: {}, canary: null });
  assert.equal(c.source.ssh?.user, 'app');
});

test('x-drover/auto_rollback: on unless the file turns it off', async () => {
  assert.equal((await load(BASE + WEB + 'x-drover:\n  auto_rollback: false\n')).drover.autoRollback, false);
  assert.equal((await load(BASE + WEB)).drover.autoRollback, true);
});

test('x-drover/roles/<role>/labels: a role may name no host (Drover fills it from agent labels), the selector resolved', async () => {
  const yml = BASE + 'servers:\n  web: [a]\n  jobs:\n    hosts: []\n    cmd: run\nx-drover:\n  roles:\n    jobs:\n      labels: region=eu,tier=edge\n    web:\n      labels: { tier: web }\n';
  const c = await load(yml, { labelHosts: { jobs: ['e2', 'e1'], web: ['a', 'w9'] } });
  assert.deepEqual(c.drover.roleLabels, { jobs: { region: 'eu', tier: 'edge' }, web: { tier: 'web' } });
  // Named hosts first (with their tags), matched agents after, each host once.
  assert.deepEqual(c.roles.map((r) => [r.name, r.hosts.map((h) => h.host)]), [['web', ['a', 'w9']], ['jobs', ['e2', 'e1']]]);
  assert.equal(c.roles[1]!.envByHost.e1 !== undefined, true);
  // Without a selector an empty role is still Kamal's error.
  await assert.rejects(load(BASE + 'servers:\n  web: [a]\n  jobs:\n    hosts: []\n'), (e: Error & { details?: string[] }) => (e.details ?? []).includes('No servers specified for the jobs role. You can ignore this with allow_empty_roles: true'));
});

test('x-drover/canary: hosts as a count or a percentage, soak defaulting to 60 s', async () => {
  assert.deepEqual((await load(BASE + WEB + 'x-drover:\n  canary:\n    hosts: 2\n    soak: 30\n')).drover.canary, { hosts: 2, soakSeconds: 30 });
  assert.deepEqual((await load(BASE + WEB + 'x-drover:\n  canary:\n    hosts: 10%\n')).drover.canary, { hosts: '10%', soakSeconds: 60 });
  assert.equal((await load(BASE + WEB)).drover.canary, null);
});
