import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from '@drover/shared/config/test-support';
import type { ResolvedConfig } from '@drover/shared/config';
import { planRollout } from './plan.js';
import type { AgentPresence, Phase, Plan, PlanInput } from './types.js';
import { PROJECT_HEAD } from './test-fixtures.js';

// deploy.yml in → the plan out, like Kamal's commands/ tests: no hosts, no clock.

const BASE = `${PROJECT_HEAD}env:
  clear:
    RAILS_ENV: production
  secret:
    - DATABASE_URL
`;
const ROLES = `servers:
  web:
    - vm1
    - vm2: [blue]
  workers:
    hosts:
      - vm3
    cmd: bin/jobs --queue "default q"
proxy:
  host: app.test
  app_port: 3000
`;
const SECRETS = { KAMAL_REGISTRY_PASSWORD: 'reg-pw', DATABASE_URL: 'postgres://secret' };
const online = (containers: string[] = []): AgentPresence => ({ online: true, lastSeen: 1_000, registryMirror: null, containers, labels: {} });
const AGENTS = { vm1: online(), vm2: online(), vm3: online(), db1: online() };

function input(config: ResolvedConfig, over: Partial<PlanInput> = {}): PlanInput {
  return {
    command: 'deploy', config, secrets: SECRETS, selection: { roles: [], hosts: [], primary: false }, agents: AGENTS,
    performer: 'ops@acme.test', hooks: [], assets: { errorPages: null, accessoryFiles: {} }, skipPush: false, ...over,
  };
}

/** One line per phase: what runs where, in order. */
function outline(plan: Plan): string[] {
  const line = (p: Phase): string => {
    switch (p.kind) {
      case 'say': return `say ${p.text}`;
      case 'lock': case 'unlock': return p.kind;
      case 'hook': return `hook ${p.hook} ${p.hosts.join(',')}`;
      case 'sleep': return `sleep ${p.seconds}`;
      case 'ops': return `${p.name}: ${p.tasks.map((t) => `${t.host}[${t.calls.map((c) => c.op).join(',')}]`).join(' ')}`;
      case 'boot': return `boot ${p.group}: ${p.tasks.map((t) => `${t.host}:${t.role}${t.gatekeeper ? '*' : ''}`).join(' ')}${p.parallelRoles ? ' (parallel roles)' : ''}`;
      case 'await_agents': return `await ${p.hosts.join(',')} ${p.seconds}s`;
      case 'soak': return `soak ${p.seconds}s: ${p.tasks.map((t) => `${t.host}[${t.calls.map((c) => c.op).join(',')}]`).join(' ')}`;
    }
  };
  return plan.phases.map(line);
}

test('deploy: pull, lock, pre-deploy, proxy, stale, boot with the barrier, tag, prune, unlock, post-deploy', async () => {
  const config = await load(BASE + ROLES, { version: 'abc123' });
  const plan = planRollout(input(config, { hooks: ['pre-deploy', 'post-deploy', 'pre-app-boot', 'post-app-boot'] }));
  assert.deepEqual(outline(plan), [
    'pull: vm1[image.pull] vm2[image.pull] vm3[image.pull]',
    'lock',
    'hook pre-deploy vm1,vm2,vm3',
    'say Ensure kamal-proxy is running...',
    'proxy boot: vm1[proxy.boot] vm2[proxy.boot]',
    'say Detect stale containers...',
    'stale containers: vm1[app.stale_containers] vm2[app.stale_containers] vm3[app.stale_containers]',
    'say Start container with version abc123 (or reboot if already running)...',
    'hook pre-app-boot vm1,vm2,vm3',
    'boot 1: vm1:web* vm2:web* vm3:workers',
    'hook post-app-boot vm1,vm2,vm3',
    'tag latest: vm1[image.tag] vm2[image.tag] vm3[image.tag]',
    'say Prune old containers and images...',
    'prune: vm1[prune.all] vm2[prune.all] vm3[prune.all]',
    'unlock',
    'hook post-deploy vm1,vm2,vm3',
  ]);
  assert.deepEqual([plan.lockKey, plan.primaryRole, plan.primaryHost, plan.roles, plan.hosts], ['app', 'web', 'vm1', ['web', 'workers'], ['vm1', 'vm2', 'vm3']]);
});

test('app.boot params: env with secret values per host tag, labels, logging, cmd split, proxy argv, stop timeout', async () => {
  const config = await load(BASE + ROLES + `env:
  clear:
    RAILS_ENV: production
  secret:
    - DATABASE_URL
  tags:
    blue:
      COLOR: blue
labels:
  team: core
deploy_timeout: 20
`, { version: 'abc123' });
  const plan = planRollout(input(config));
  const boot = plan.phases.find((p) => p.kind === 'boot');
  assert.ok(boot?.kind === 'boot');
  const [vm1, vm2, vm3] = boot.tasks.map((t) => t.call.params);
  assert.deepEqual(vm2, {
    service: 'app', destination: null, performer: 'ops@acme.test', role: 'web', version: 'abc123',
    image: 'registry.test:5443/acme/app:abc123', latestImage: 'registry.test:5443/acme/app:latest', host: 'vm2',
    env: { clear: { RAILS_ENV: 'production', COLOR: 'blue' }, secrets: { DATABASE_URL: 'postgres://secret' } },
    labels: { team: 'core' }, restartPolicy: 'unless-stopped', logging: { driver: null, options: { 'max-size': '10m' } },
    volumes: [], options: {}, cmd: null, assetPath: null,
    proxy: {
      appPort: 3000, tls: null,
      args: ['--host=app.test', '--deploy-timeout=20s', '--drain-timeout=30s', '--buffer-requests', '--buffer-responses',
        '--log-request-header=Cache-Control', '--log-request-header=Last-Modified', '--log-request-header=User-Agent'],
    },
    deployTimeout: 20, readinessDelay: 7, stopTimeout: null, errorPages: null,
  });
  assert.deepEqual(vm1?.env?.clear, { RAILS_ENV: 'production' }, 'tag env only on the tagged host');
  assert.deepEqual([vm3?.role, vm3?.cmd, vm3?.proxy, vm3?.stopTimeout], ['workers', ['bin/jobs', '--queue', 'default q'], null, 30]);
});

test('redeploy: no proxy boot, no accessories, no prune', async () => {
  const config = await load(BASE + ROLES, { version: 'v2' });
  assert.deepEqual(outline(planRollout(input(config, { command: 'redeploy', skipPush: true }))), [
    'say Pull app image...',
    'pull: vm1[image.pull] vm2[image.pull] vm3[image.pull]',
    'lock',
    'say Detect stale containers...',
    'stale containers: vm1[app.stale_containers] vm2[app.stale_containers] vm3[app.stale_containers]',
    'say Start container with version v2 (or reboot if already running)...',
    'boot 1: vm1:web* vm2:web* vm3:workers',
    'tag latest: vm1[image.tag] vm2[image.tag] vm3[image.tag]',
    'unlock',
  ]);
});

test('boot groups: limit in hosts or percent of all hosts (accessory hosts too), boot.wait, hooks per group', async () => {
  const byCount = await load(BASE + ROLES + 'boot:\n  limit: 2\n  wait: 3\n', { version: 'v' });
  const steps = outline(planRollout(input(byCount, { hooks: ['pre-app-boot'] }))).filter((l) => /^(boot|hook|sleep)/.test(l));
  assert.deepEqual(steps, ['hook pre-app-boot vm1,vm2', 'boot 1: vm1:web* vm2:web*', 'sleep 3', 'hook pre-app-boot vm3', 'boot 2: vm3:workers', 'sleep 3']);

  const accessory = 'accessories:\n  db:\n    image: postgres:16\n    host: db1\n';
  const byPercent = await load(BASE + ROLES + accessory + 'boot:\n  limit: "50%"\n', { version: 'v' });
  const groups = outline(planRollout(input(byPercent))).filter((l) => l.startsWith('boot'));
  assert.deepEqual(groups, ['boot 1: vm1:web* vm2:web*', 'boot 2: vm3:workers'], '50% of 4 hosts = 2');
  const tiny = await load(BASE + ROLES + 'boot:\n  limit: "10%"\n', { version: 'v' });
  assert.equal(outline(planRollout(input(tiny))).filter((l) => l.startsWith('boot')).length, 3, 'at least one host per group');
});

test('canary (x-drover/canary): a first group of N hosts, soaked, then the others in boot.limit groups', async () => {
  const canary = await load(BASE + ROLES + 'boot:\n  limit: 1\nx-drover:\n  canary:\n    hosts: 1\n    soak: 30\n', { version: 'v' });
  const steps = (command: PlanInput['command']) => outline(planRollout(input(canary, { command, hooks: ['post-app-boot'] })))
    .filter((l) => /^(boot|hook|soak|say Canary)/.test(l));
  const expected = [
    'boot 1: vm1:web*', 'hook post-app-boot vm1',
    'say Canary vm1: watching the new version for 30s before booting the other hosts...',
    'soak 30s: vm1[app.probe]',
    'say Canary healthy for 30s, booting the other hosts...',
    'boot 2: vm2:web*', 'hook post-app-boot vm2', 'boot 3: vm3:workers', 'hook post-app-boot vm3',
  ];
  assert.deepEqual(steps('deploy'), expected);
  assert.deepEqual(steps('redeploy'), expected);
  const soak = planRollout(input(canary)).phases.find((p) => p.kind === 'soak');
  assert.deepEqual(soak, {
    kind: 'soak', seconds: 30, hosts: ['vm1'],
    tasks: [{ host: 'vm1', calls: [{ op: 'app.probe', params: { service: 'app', destination: null, performer: 'ops@acme.test', role: 'web', version: 'v', appPort: 3000, healthPath: '/up' } }] }],
  });

  // A percentage of the app hosts (at least one), groups of boot.limit after it; no boot.limit: the rest at once.
  const percent = await load(BASE + ROLES + 'x-drover:\n  canary:\n    hosts: 50%\n', { version: 'v' });
  assert.deepEqual(outline(planRollout(input(percent))).filter((l) => /^(boot|soak)/.test(l)), ['boot 1: vm1:web*', 'soak 60s: vm1[app.probe]', 'boot 2: vm2:web* vm3:workers']);
  // A canary as large as the fleet: everything boots, then soaks.
  const all = await load(BASE + ROLES + 'x-drover:\n  canary:\n    hosts: 5\n    soak: 10\n', { version: 'v' });
  assert.deepEqual(outline(planRollout(input(all))).filter((l) => /^(boot|soak|say Canary)/.test(l)), [
    'boot 1: vm1:web* vm2:web* vm3:workers', 'say Canary vm1, vm2, vm3: watching the new version for 10s...',
    'soak 10s: vm1[app.probe] vm2[app.probe] vm3[app.probe]', 'say Canary healthy for 10s',
  ]);
  // rollback and app boot take no canary.
  const have = { vm1: online(['app-web-v']), vm2: online(['app-web-v']), vm3: online(['app-workers-v']) };
  assert.ok(!outline(planRollout(input(canary, { command: 'rollback', agents: have }))).some((l) => l.startsWith('soak')));
  assert.deepEqual([planRollout(input(canary)).autoRollback, planRollout(input(canary, { command: 'rollback', agents: have })).autoRollback], [true, false]);
});

test('parallel_roles and a host carrying two roles', async () => {
  const config = await load(BASE + 'servers:\n  web: [vm1]\n  workers:\n    hosts: [vm1]\n    cmd: jobs\nboot:\n  parallel_roles: true\n', { version: 'v' });
  assert.deepEqual(outline(planRollout(input(config))).filter((l) => l.startsWith('boot')), ['boot 1: vm1:web* vm1:workers (parallel roles)']);
});

test('selection: -r, -h with wildcards, -p, and Kamal\'s errors for filters that match nothing', async () => {
  const config = await load(BASE + ROLES, { version: 'v' });
  const sel = (s: Partial<PlanInput['selection']>) => planRollout(input(config, { selection: { roles: [], hosts: [], primary: false, ...s } }));
  const workers = sel({ roles: ['work*'] });
  assert.deepEqual([workers.roles, workers.hosts, workers.primaryRole], [['workers'], ['vm3'], 'workers']);
  assert.deepEqual(outline(workers).filter((l) => l.startsWith('boot')), ['boot 1: vm3:workers*'], 'the first selected role gates when the primary is not selected');
  assert.deepEqual(sel({ hosts: ['vm[23]'] }).hosts, ['vm2', 'vm3']);
  assert.deepEqual(sel({ hosts: ['vm{1,3}'] }).hosts, ['vm1', 'vm3']);
  assert.deepEqual(sel({ primary: true }).hosts, ['vm1']);
  assert.throws(() => sel({ hosts: ['nope*'] }), /^UserError: No --hosts match for nope\*$/);
  assert.throws(() => sel({ roles: ['db', 'cache'] }), /No --roles match for db,cache/);
});

test('hosts are agents: unknown or offline agents fail before anything runs, naming each', async () => {
  const config = await load(BASE + ROLES, { version: 'v' });
  assert.throws(() => planRollout(input(config, { agents: { vm1: online(), vm2: online() } })), /^UserError: vm3: no enrolled agent has this name \(deploy.yml hosts are agent names; `drover agents` lists them\)$/);
  const agents = { vm1: online(), vm2: { ...online(), online: false, lastSeen: Date.UTC(2026, 10, 30, 12) }, vm3: { ...online(), online: false, lastSeen: null } };
  try {
    planRollout(input(config, { agents }));
    assert.fail('expected a rejection');
  } catch (err) {
    const e = err as { message: string; details: string[] };
    assert.equal(e.message, '2 hosts cannot be reached through their agents');
    assert.deepEqual(e.details, ['agent vm2: not connected (last seen 2026-11-30T12:00:00.000Z)', 'agent vm3: not connected (never connected)']);
  }
  // Hosts outside the selection may be offline.
  assert.deepEqual(planRollout(input(config, { agents, selection: { roles: [], hosts: ['vm1'], primary: false } })).hosts, ['vm1']);
});

test('x-drover/offline: skip leaves the offline agents out, naming them; wait waits for them first; unknown agents still fail', async () => {
  const seen = Date.UTC(2026, 10, 30, 12);
  const agents = { vm1: online(), vm2: { ...online(), online: false, lastSeen: seen }, vm3: online() };
  const skip = await load(`${BASE}${ROLES}x-drover:\n  offline: skip\n`, { version: 'v' });
  const plan = planRollout(input(skip, { agents }));
  assert.deepEqual([plan.hosts, plan.skippedHosts], [['vm1', 'vm3'], ['vm2']]);
  assert.deepEqual(outline(plan).filter((l) => /^(say Skipping|pull|boot|proxy boot)/.test(l)), [
    'say Skipping agents that are not connected: vm2 (last seen 2026-11-30T12:00:00.000Z)',
    'pull: vm1[image.pull] vm3[image.pull]', 'proxy boot: vm1[proxy.boot]', 'boot 1: vm1:web* vm3:workers',
  ]);
  assert.throws(() => planRollout(input(skip, { agents: { vm2: agents.vm2, vm3: agents.vm3 } })), /^UserError: vm1: no enrolled agent has this name/);
  const noWeb = { vm1: { ...online(), online: false, lastSeen: null }, vm2: { ...online(), online: false, lastSeen: null }, vm3: online() };
  assert.throws(() => planRollout(input(skip, { agents: noWeb })), /^UserError: no agent of the primary role web is connected: vm1 \(never connected\), vm2 \(never connected\)$/);

  const wait = await load(`${BASE}${ROLES}x-drover:\n  offline: wait\n  agent_timeout: 90\n`, { version: 'v' });
  const waiting = planRollout(input(wait, { agents }));
  assert.deepEqual(outline(waiting).slice(0, 3), [
    'say Waiting up to 90s for agents to connect: vm2 (last seen 2026-11-30T12:00:00.000Z)...', 'await vm2 90s', 'pull: vm1[image.pull] vm2[image.pull] vm3[image.pull]',
  ]);
  assert.deepEqual(waiting.skippedHosts, []);
});

test('registry mirrors: one host per mirror pulls first to seed it', async () => {
  const config = await load(BASE + ROLES, { version: 'v' });
  const agents = { vm1: { ...online(), registryMirror: 'https://m1' }, vm2: { ...online(), registryMirror: 'https://m1' }, vm3: { ...online(), registryMirror: 'https://m2' } };
  assert.deepEqual(outline(planRollout(input(config, { agents }))).slice(0, 4), [
    'say Pulling image on vm1, vm3 to seed the mirrors...',
    'pull (mirror seeds): vm1[image.pull] vm3[image.pull]',
    'say Pulling image on remaining hosts...',
    'pull: vm2[image.pull]',
  ]);
});

test('destinations: the lock and latest tag carry the destination', async () => {
  const config = await load(BASE + ROLES, { version: 'v', destination: 'staging', files: { 'config/deploy.staging.yml': 'env:\n  clear:\n    STAGE: "1"\n' } });
  const plan = planRollout(input(config));
  assert.equal(plan.lockKey, 'app-staging');
  const tag = plan.phases.find((p) => p.kind === 'ops' && p.name === 'tag latest');
  assert.ok(tag?.kind === 'ops');
  assert.deepEqual(tag.tasks[0]!.calls[0]!.params, { service: 'app', destination: 'staging', performer: 'ops@acme.test', image: 'registry.test:5443/acme/app:v', tag: 'registry.test:5443/acme/app:latest-staging' });
});

test('rollback: boots an existing version under the lock, or only says it is not available', async () => {
  const config = await load(BASE + ROLES, { version: 'v1' });
  const have = { vm1: online(['app-web-v1']), vm2: online(['app-web-v1']), vm3: online(['app-workers-v1']) };
  assert.deepEqual(outline(planRollout(input(config, { command: 'rollback', agents: have, hooks: ['pre-deploy', 'post-deploy'] }))), [
    'lock', 'hook pre-deploy vm1,vm2,vm3', 'say Start container with version v1 (or reboot if already running)...',
    'boot 1: vm1:web* vm2:web* vm3:workers', 'tag latest: vm1[image.tag] vm2[image.tag] vm3[image.tag]', 'unlock', 'hook post-deploy vm1,vm2,vm3',
  ]);
  const missing = { ...have, vm3: online([]) };
  assert.deepEqual(outline(planRollout(input(config, { command: 'rollback', agents: missing }))), [
    "say The app version 'v1' is not available as a container (use 'drover app containers' for available versions)",
  ]);
});

test('setup: docker-setup hook, accessories with their files, then the deploy', async () => {
  const config = await load(BASE + ROLES + `accessories:
  db:
    image: postgres:16
    host: db1
    files:
      - config/init.sql:/docker-entrypoint-initdb.d/init.sql
    directories:
      - data:/var/lib/postgresql/data
`, { version: 'v' });
  const plan = planRollout(input(config, { command: 'setup', hooks: ['docker-setup'], assets: { errorPages: null, accessoryFiles: { 'config/init.sql': 'create table t();' } } }));
  const lines = outline(plan);
  assert.deepEqual(lines.slice(0, 2), ['say Ensure Docker is installed...', 'hook docker-setup vm1,vm2,vm3,db1']);
  assert.ok(lines.includes('accessories: db1[accessory.boot]'));
  assert.ok(lines.indexOf('accessories: db1[accessory.boot]') > lines.indexOf('proxy boot: vm1[proxy.boot] vm2[proxy.boot]'));
  const acc = plan.phases.flatMap((p) => (p.kind === 'ops' && p.name === 'accessories' ? p.tasks[0]!.calls : []))[0];
  assert.ok(acc?.op === 'accessory.boot');
  assert.deepEqual([acc.params.accessoryService, acc.params.files, acc.params.directories, acc.params.volumes], [
    'app-db',
    [{ hostPath: 'app-db/docker-entrypoint-initdb.d/init.sql', remote: '/docker-entrypoint-initdb.d/init.sql', content: 'create table t();', mode: '755', owner: null, options: null }],
    [{ hostPath: 'app-db/data', remote: '/var/lib/postgresql/data', mode: null, owner: null, options: null }],
    [],
  ]);
  assert.throws(() => planRollout(input(config, { command: 'setup' })), /accessories\/db\/files: config\/init.sql was not sent with this deployment/);
});

test('remove: app, proxy where no other app remains, accessories, under the lock', async () => {
  const config = await load(BASE + ROLES + 'accessories:\n  db:\n    image: postgres:16\n    host: db1\n', { version: 'v' });
  assert.deepEqual(outline(planRollout(input(config, { command: 'remove' }))), [
    'lock',
    'app remove: vm1[app.remove] vm2[app.remove] vm3[app.remove]',
    'proxy remove: vm1[proxy.remove] vm2[proxy.remove]',
    'accessory remove: db1[accessory.remove]',
    'unlock',
  ]);
});

test('custom TLS certificates and error pages go with the web role\'s boot', async () => {
  const config = await load(BASE + `servers:\n  web: [vm1]\nerror_pages_path: errors\nproxy:\n  host: app.test\n  ssl:\n    certificate_pem: CERT_PEM\n    private_key_pem: KEY_PEM\n`, { version: 'v' });
  const plan = planRollout(input(config, { secrets: { ...SECRETS, CERT_PEM: 'cert', KEY_PEM: 'key' }, assets: { errorPages: { '503.html': 'down' }, accessoryFiles: {} } }));
  const boot = plan.phases.find((p) => p.kind === 'boot');
  assert.ok(boot?.kind === 'boot');
  const p = boot.tasks[0]!.call.params;
  assert.deepEqual([p.proxy?.tls, p.errorPages], [{ certificatePem: 'cert', privateKeyPem: 'key' }, { '503.html': 'down' }]);
  assert.ok(p.proxy?.args?.includes('--tls-certificate-path=/home/kamal-proxy/.apps-config/app/tls/web/cert.pem'));
  assert.ok(p.proxy?.args?.includes('--error-pages=/home/kamal-proxy/.apps-config/app/error_pages/v'));
});

test('a local registry: the controller streams the image to each host instead of a login and pull', async () => {
  const config = await load(BASE.replace('server: registry.test:5443', 'server: localhost:5555') + ROLES, { version: 'v' });
  const plan = planRollout(input(config));
  assert.equal(outline(plan)[0], 'load image: vm1[image.load] vm2[image.load] vm3[image.load]');
  const first = plan.phases[0];
  assert.ok(first?.kind === 'ops');
  assert.deepEqual(first.tasks[0]!.calls[0]!.params, { service: 'app', destination: null, performer: 'ops@acme.test', image: 'localhost:5555/acme/app:v', version: 'v' });
});
