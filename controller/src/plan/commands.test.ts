import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from '@drover/shared/config/test-support';
import type { ResolvedConfig } from '@drover/shared/config';
import { hooksFiredBy, toSentence } from './commands.js';
import { planRollout } from './plan.js';
import type { AgentPresence, CommandOptions, OpCall, Phase, PlanCommand, PlanInput, RolloutHook, Selection } from './types.js';
import { PROJECT_HEAD } from './test-fixtures.js';

// Kamal's mutating subcommands: deploy.yml + command + options in → the exact plan out (every op param).

const YML = `${PROJECT_HEAD}env:
  secret:
    - DATABASE_URL
servers:
  web: [vm1, vm2]
  workers:
    hosts: [vm2, vm3]
    cmd: bin/jobs
proxy:
  host: app.test
  app_port: 3000
drain_timeout: 12
retain_containers: 3
boot:
  limit: 2
accessories:
  db:
    image: postgres:16
    host: db1
  cache:
    image: redis:7
    hosts: [db1, vm3]
`;
const SECRETS = { KAMAL_REGISTRY_PASSWORD: 'reg-pw', DATABASE_URL: 'postgres://secret' };
const online: AgentPresence = { online: true, lastSeen: 1_000, registryMirror: null, containers: [], labels: {} };
const AGENTS = { vm1: online, vm2: online, vm3: online, db1: online };
const configP = load(YML, { version: 'v1' });

function input(config: ResolvedConfig, command: PlanCommand, over: Partial<PlanInput> = {}): PlanInput {
  return {
    command, config, secrets: SECRETS, selection: { roles: [], hosts: [], primary: false }, agents: AGENTS,
    performer: 'ops@acme.test', hooks: [], assets: { errorPages: null, accessoryFiles: {} }, skipPush: false, ...over,
  };
}

// Expected values, written out.
const S = { service: 'app', destination: null, performer: 'ops@acme.test' };
const LATEST = 'registry.test:5443/acme/app:latest';
const WEB_PROXY = {
  appPort: 3000, tls: null,
  args: ['--host=app.test', '--deploy-timeout=30s', '--drain-timeout=12s', '--buffer-requests', '--buffer-responses',
    '--log-request-header=Cache-Control', '--log-request-header=Last-Modified', '--log-request-header=User-Agent'],
};
const LOCK: Phase = { kind: 'lock' };
const UNLOCK: Phase = { kind: 'unlock' };
/** An `ops` phase from `host: calls` in order. */
const ops = (name: string, tasks: Record<string, OpCall[]>): Phase => ({ kind: 'ops', name, tasks: Object.entries(tasks).map(([host, calls]) => ({ host, calls })) });
const hook = (name: RolloutHook, hosts: string[]): Phase => ({ kind: 'hook', hook: name, hosts });

const appBoot = (role: 'web' | 'workers', host: string) => ({
  op: 'app.boot' as const,
  params: {
    ...S, role, version: 'v1', image: 'registry.test:5443/acme/app:v1', latestImage: LATEST, host,
    env: { clear: {}, secrets: { DATABASE_URL: 'postgres://secret' } }, labels: {}, restartPolicy: 'unless-stopped',
    logging: { driver: null, options: { 'max-size': '10m' } }, volumes: [], options: {}, cmd: role === 'web' ? null : ['bin/jobs'], assetPath: null,
    proxy: role === 'web' ? WEB_PROXY : null, deployTimeout: 30, readinessDelay: 7, stopTimeout: role === 'web' ? null : 12, errorPages: null,
  },
});
const bootTask = (host: string, role: 'web' | 'workers', gatekeeper: boolean) => ({ host, role, gatekeeper, call: appBoot(role, host) });
const tag = { op: 'image.tag' as const, params: { ...S, image: 'registry.test:5443/acme/app:v1', tag: LATEST } };
const pull = { op: 'image.pull' as const, params: { ...S, image: 'registry.test:5443/acme/app:v1', version: 'v1', registry: { server: 'registry.test:5443', username: 'deployer', password: 'reg-pw' } } };
const start = (role: 'web' | 'workers'): OpCall => ({ op: 'app.start', params: { ...S, role, version: 'v1', latestImage: LATEST, proxy: role === 'web' ? WEB_PROXY : null } });
const stop = (role: 'web' | 'workers'): OpCall => ({ op: 'app.stop', params: { ...S, role, proxied: role === 'web', stopTimeout: role === 'web' ? null : 12 } });
const remove = (role: 'web' | 'workers', wholeHost: boolean): OpCall => ({
  op: 'app.remove', params: { ...S, role, proxied: role === 'web', stopTimeout: role === 'web' ? null : 12, removeImages: wholeHost, removeAppDirectory: wholeHost },
});
const stale = (role: 'web' | 'workers', stopping: boolean): OpCall => ({
  op: 'app.stale_containers', params: { ...S, role, latestImage: LATEST, stop: stopping, stopTimeout: role === 'web' ? null : 12 },
});
const maintenance = (drainTimeout: number, message: string | null): OpCall => ({ op: 'app.maintenance', params: { ...S, role: 'web', drainTimeout, message } });
const proxyBoot: OpCall = { op: 'proxy.boot', params: { ...S, run: null, registry: null } };
const proxyReboot: OpCall = { op: 'proxy.reboot', params: { ...S, run: null, registry: null } };
const proxyStart: OpCall = { op: 'proxy.start', params: S };
const proxyStop: OpCall = { op: 'proxy.stop', params: { ...S, stopTimeout: null } };
const proxyRemove = (onlyWithoutApps: boolean): OpCall => ({ op: 'proxy.remove', params: { ...S, removeImages: true, removeProxyDirectory: true, onlyWithoutApps } });
const ACC = { db: { name: 'db', accessoryService: 'app-db', image: 'postgres:16' }, cache: { name: 'cache', accessoryService: 'app-cache', image: 'redis:7' } };
const accBoot = (acc: 'db' | 'cache', op: 'accessory.boot' | 'accessory.reboot' = 'accessory.boot'): OpCall => ({
  op,
  params: {
    ...S, ...ACC[acc], registry: null, cmd: null, publish: null, labels: { service: ACC[acc].accessoryService }, restartPolicy: 'unless-stopped', options: {},
    env: { clear: {}, secrets: {} }, files: [], directories: [], volumes: [], network: 'kamal', logging: { driver: null, options: { 'max-size': '10m' } }, proxy: null,
  },
});
const accSimple = (acc: 'db' | 'cache', op: 'accessory.start' | 'accessory.stop' | 'accessory.restart'): OpCall => ({
  op, params: { ...S, name: ACC[acc].name, accessoryService: ACC[acc].accessoryService, proxied: false, stopTimeout: null, proxy: null },
});
const accRemove = (acc: 'db' | 'cache'): OpCall => ({
  op: 'accessory.remove', params: { ...S, name: ACC[acc].name, accessoryService: ACC[acc].accessoryService, proxied: false, removeImage: ACC[acc].image, removePaths: [ACC[acc].accessoryService] },
});
const pruneContainers = (retain: number): OpCall => ({ op: 'prune.containers', params: { ...S, retain } });
const pruneImages: OpCall = { op: 'prune.images', params: { ...S, latestImage: LATEST } };
const pruneAll = (retain: number): OpCall => ({ op: 'prune.all', params: { ...S, retain, latestImage: LATEST } });

interface Case {
  name: string;
  command: PlanCommand;
  options?: CommandOptions;
  selection?: Partial<Selection>;
  hooks?: RolloutHook[];
  phases: Phase[];
}

const CASES: Case[] = [
  {
    name: 'app boot: pull, then boot groups (limit 2) with pre/post-app-boot around each, the barrier, tag latest, under the lock',
    command: 'app boot', hooks: ['pre-app-boot', 'post-app-boot', 'pre-deploy'],
    phases: [
      ops('pull', { vm1: [pull], vm2: [pull], vm3: [pull] }),
      LOCK,
      { kind: 'say', text: 'Start container with version v1 (or reboot if already running)...' },
      hook('pre-app-boot', ['vm1', 'vm2']),
      { kind: 'boot', group: 1, hosts: ['vm1', 'vm2'], parallelRoles: false, tasks: [bootTask('vm1', 'web', true), bootTask('vm2', 'web', true), bootTask('vm2', 'workers', false)] },
      hook('post-app-boot', ['vm1', 'vm2']),
      hook('pre-app-boot', ['vm3']),
      { kind: 'boot', group: 2, hosts: ['vm3'], parallelRoles: false, tasks: [bootTask('vm3', 'workers', false)] },
      hook('post-app-boot', ['vm3']),
      ops('tag latest', { vm1: [tag], vm2: [tag], vm3: [tag] }),
      UNLOCK,
    ],
  },
  {
    name: 'app boot -r workers: the first selected role gates',
    command: 'app boot', selection: { roles: ['workers'] },
    phases: [
      ops('pull', { vm2: [pull], vm3: [pull] }),
      LOCK,
      { kind: 'say', text: 'Start container with version v1 (or reboot if already running)...' },
      { kind: 'boot', group: 1, hosts: ['vm2', 'vm3'], parallelRoles: false, tasks: [bootTask('vm2', 'workers', true), bootTask('vm3', 'workers', true)] },
      ops('tag latest', { vm2: [tag], vm3: [tag] }),
      UNLOCK,
    ],
  },
  {
    name: 'app start: every role on every app host; proxied roles go back to kamal-proxy',
    command: 'app start',
    phases: [LOCK, ops('app start', { vm1: [start('web')], vm2: [start('web'), start('workers')], vm3: [start('workers')] }), UNLOCK],
  },
  { name: 'app start -h vm2', command: 'app start', selection: { hosts: ['vm2'] }, phases: [LOCK, ops('app start', { vm2: [start('web'), start('workers')] }), UNLOCK] },
  { name: 'app stop -r web', command: 'app stop', selection: { roles: ['web'] }, phases: [LOCK, ops('app stop', { vm1: [stop('web')], vm2: [stop('web')] }), UNLOCK] },
  {
    name: 'app remove -r web: images and directories only where every role of the host goes',
    command: 'app remove', selection: { roles: ['web'] },
    phases: [LOCK, ops('app remove', { vm1: [remove('web', true)], vm2: [remove('web', false)] }), UNLOCK],
  },
  {
    name: 'app remove: all roles',
    command: 'app remove',
    phases: [LOCK, ops('app remove', { vm1: [remove('web', true)], vm2: [remove('web', true), remove('workers', true)], vm3: [remove('workers', true)] }), UNLOCK],
  },
  { name: 'app live: proxied roles on the proxy hosts', command: 'app live', phases: [LOCK, ops('app live', { vm1: [{ op: 'app.live', params: { ...S, role: 'web' } }], vm2: [{ op: 'app.live', params: { ...S, role: 'web' } }] }), UNLOCK] },
  {
    name: 'app maintenance: drain timeout defaults to the config\'s drain_timeout, no message',
    command: 'app maintenance',
    phases: [LOCK, ops('app maintenance', { vm1: [maintenance(12, null)], vm2: [maintenance(12, null)] }), UNLOCK],
  },
  {
    name: 'app maintenance --drain-timeout 5 --message, -h vm2',
    command: 'app maintenance', options: { drainTimeout: 5, message: 'Back at 10:00' }, selection: { hosts: ['vm2'] },
    phases: [LOCK, ops('app maintenance', { vm2: [maintenance(5, 'Back at 10:00')] }), UNLOCK],
  },
  {
    name: 'app stale_containers --stop: under the lock',
    command: 'app stale_containers', options: { stop: true },
    phases: [LOCK, ops('stale containers', { vm1: [stale('web', true)], vm2: [stale('web', true), stale('workers', true)], vm3: [stale('workers', true)] }), UNLOCK],
  },
  {
    name: 'app stale_containers without --stop: detection only, no lock',
    command: 'app stale_containers', selection: { hosts: ['vm3'] },
    phases: [ops('stale containers', { vm3: [stale('workers', false)] })],
  },
  { name: 'proxy boot: the proxy hosts', command: 'proxy boot', phases: [LOCK, ops('proxy boot', { vm1: [proxyBoot], vm2: [proxyBoot] }), UNLOCK] },
  {
    name: 'proxy reboot: all proxy hosts as one group, hooks around it',
    command: 'proxy reboot', hooks: ['pre-proxy-reboot', 'post-proxy-reboot'],
    phases: [LOCK, hook('pre-proxy-reboot', ['vm1', 'vm2']), ops('proxy reboot', { vm1: [proxyReboot], vm2: [proxyReboot] }), hook('post-proxy-reboot', ['vm1', 'vm2']), UNLOCK],
  },
  {
    name: 'proxy reboot --rolling: one host per group, each with its hooks',
    command: 'proxy reboot', options: { rolling: true }, hooks: ['pre-proxy-reboot', 'post-proxy-reboot'],
    phases: [
      LOCK,
      hook('pre-proxy-reboot', ['vm1']), ops('proxy reboot', { vm1: [proxyReboot] }), hook('post-proxy-reboot', ['vm1']),
      hook('pre-proxy-reboot', ['vm2']), ops('proxy reboot', { vm2: [proxyReboot] }), hook('post-proxy-reboot', ['vm2']),
      UNLOCK,
    ],
  },
  { name: 'proxy reboot --rolling without hooks', command: 'proxy reboot', options: { rolling: true }, phases: [LOCK, ops('proxy reboot', { vm1: [proxyReboot] }), ops('proxy reboot', { vm2: [proxyReboot] }), UNLOCK] },
  { name: 'proxy start', command: 'proxy start', phases: [LOCK, ops('proxy start', { vm1: [proxyStart], vm2: [proxyStart] }), UNLOCK] },
  { name: 'proxy stop -h vm2', command: 'proxy stop', selection: { hosts: ['vm2'] }, phases: [LOCK, ops('proxy stop', { vm2: [proxyStop] }), UNLOCK] },
  { name: 'proxy restart: stop everywhere, then start', command: 'proxy restart', phases: [LOCK, ops('proxy stop', { vm1: [proxyStop], vm2: [proxyStop] }), ops('proxy start', { vm1: [proxyStart], vm2: [proxyStart] }), UNLOCK] },
  { name: 'proxy remove: only where no app is left', command: 'proxy remove', phases: [LOCK, ops('proxy remove', { vm1: [proxyRemove(true)], vm2: [proxyRemove(true)] }), UNLOCK] },
  { name: 'proxy remove --force', command: 'proxy remove', options: { force: true }, phases: [LOCK, ops('proxy remove', { vm1: [proxyRemove(false)], vm2: [proxyRemove(false)] }), UNLOCK] },
  { name: 'accessory boot db', command: 'accessory boot', options: { accessories: ['db'] }, phases: [LOCK, ops('accessory boot db', { db1: [accBoot('db')] }), UNLOCK] },
  {
    name: 'accessory boot all: one accessory after the other, in config order',
    command: 'accessory boot', options: { accessories: ['all'] },
    phases: [LOCK, ops('accessory boot db', { db1: [accBoot('db')] }), ops('accessory boot cache', { db1: [accBoot('cache')], vm3: [accBoot('cache')] }), UNLOCK],
  },
  {
    name: 'accessory reboot cache db: in the order named',
    command: 'accessory reboot', options: { accessories: ['cache', 'db'] },
    phases: [LOCK, ops('accessory reboot cache', { db1: [accBoot('cache', 'accessory.reboot')], vm3: [accBoot('cache', 'accessory.reboot')] }), ops('accessory reboot db', { db1: [accBoot('db', 'accessory.reboot')] }), UNLOCK],
  },
  {
    name: 'accessory start all -h vm3: only the accessories on the selected hosts',
    command: 'accessory start', options: { accessories: ['all'] }, selection: { hosts: ['vm3'] },
    phases: [LOCK, ops('accessory start cache', { vm3: [accSimple('cache', 'accessory.start')] }), UNLOCK],
  },
  { name: 'accessory stop db', command: 'accessory stop', options: { accessories: ['db'] }, phases: [LOCK, ops('accessory stop db', { db1: [accSimple('db', 'accessory.stop')] }), UNLOCK] },
  { name: 'accessory restart cache', command: 'accessory restart', options: { accessories: ['cache'] }, phases: [LOCK, ops('accessory restart cache', { db1: [accSimple('cache', 'accessory.restart')], vm3: [accSimple('cache', 'accessory.restart')] }), UNLOCK] },
  { name: 'accessory remove db', command: 'accessory remove', options: { accessories: ['db', 'db'] }, phases: [LOCK, ops('accessory remove db', { db1: [accRemove('db')] }), UNLOCK] },
  { name: 'accessory boot db -r web: no accessory host selected, nothing runs', command: 'accessory boot', options: { accessories: ['db'] }, selection: { roles: ['web'] }, phases: [LOCK, UNLOCK] },
  {
    name: 'prune all: containers (retain_containers) then images, every host',
    command: 'prune all',
    phases: [LOCK, ops('prune', Object.fromEntries(['vm1', 'vm2', 'vm3', 'db1'].map((h) => [h, [pruneAll(3)]]))), UNLOCK],
  },
  { name: 'prune images -h db1', command: 'prune images', selection: { hosts: ['db1'] }, phases: [LOCK, ops('prune images', { db1: [pruneImages] }), UNLOCK] },
  { name: 'prune containers: retain defaults to retain_containers', command: 'prune containers', selection: { hosts: ['vm1'] }, phases: [LOCK, ops('prune containers', { vm1: [pruneContainers(3)] }), UNLOCK] },
  { name: 'prune containers --retain 1', command: 'prune containers', options: { retain: 1 }, selection: { hosts: ['vm1'] }, phases: [LOCK, ops('prune containers', { vm1: [pruneContainers(1)] }), UNLOCK] },
];

for (const c of CASES) {
  test(c.name, async () => {
    const config = await configP;
    const plan = planRollout(input(config, c.command, { options: c.options, hooks: c.hooks ?? [], selection: { roles: [], hosts: [], primary: false, ...c.selection } }));
    assert.equal(plan.command, c.command);
    assert.equal(plan.lockKey, 'app');
    assert.deepEqual(plan.phases, c.phases);
  });
}

test('unknown accessory: Kamal\'s message listing the names as Ruby\'s to_sentence does', async () => {
  const config = await configP;
  const plan = (command: PlanCommand, accessories?: string[]) => planRollout(input(config, command, { options: accessories ? { accessories } : {} }));
  assert.throws(() => plan('accessory boot', ['db', 'nope']), /^UserError: No accessory by the name of 'nope' \(options: db and cache\)$/);
  assert.throws(() => plan('accessory remove', ['redis']), /^UserError: No accessory by the name of 'redis' \(options: db and cache\)$/);
  assert.throws(() => plan('accessory stop'), /^UserError: accessory stop needs an accessory name \(or all\)$/);
  const bare = await load(YML.slice(0, YML.indexOf('accessories:')), { version: 'v1' });
  assert.throws(() => planRollout(input(bare, 'accessory start', { options: { accessories: ['db'] } })), /^UserError: No accessory by the name of 'db'$/);
  assert.deepEqual([toSentence([]), toSentence(['a']), toSentence(['a', 'b']), toSentence(['a', 'b', 'c'])], ['', 'a', 'a and b', 'a, b, and c']);
});

test('prune containers: retain must be at least 1', async () => {
  const config = await configP;
  for (const retain of [0, -2]) assert.throws(() => planRollout(input(config, 'prune containers', { options: { retain } })), /^UserError: retain must be at least 1$/);
});

test('options a command does not take are refused; the main commands take none', async () => {
  const config = await configP;
  assert.throws(() => planRollout(input(config, 'app stop', { options: { rolling: true } })), /^UserError: app stop does not take the option rolling$/);
  assert.throws(() => planRollout(input(config, 'proxy reboot', { options: { force: true, retain: 2 } })), /^UserError: proxy reboot does not take the options force, retain$/);
  assert.throws(() => planRollout(input(config, 'deploy', { options: { stop: true } })), /^UserError: deploy does not take the option stop$/);
  assert.equal(planRollout(input(config, 'deploy', { options: {} })).command, 'deploy');
});

test('hosts are agents: only the hosts a subcommand acts on must be connected', async () => {
  const config = await configP;
  const offline = { ...online, online: false, lastSeen: null };
  const agents = { ...AGENTS, vm3: offline, db1: offline };
  assert.deepEqual(planRollout(input(config, 'proxy reboot', { agents })).phases.length, 3, 'vm3 and db1 run no proxy');
  assert.throws(() => planRollout(input(config, 'app stop', { agents })), /^UserError: agent vm3: not connected \(never connected\)$/);
  assert.throws(() => planRollout(input(config, 'accessory boot', { agents, options: { accessories: ['cache'] } })), /2 hosts cannot be reached through their agents/);
  assert.throws(() => planRollout(input(config, 'prune all', { agents: { vm1: online, vm2: online, vm3: online } })), /^UserError: db1: no enrolled agent has this name/);
});

test('secrets: only the commands whose operations carry them read them', async () => {
  const config = await configP;
  for (const command of ['app stop', 'app start', 'app live', 'proxy start', 'proxy remove', 'prune all'] as const) {
    assert.ok(planRollout(input(config, command, { secrets: {} })).phases.length > 0, command);
  }
  assert.throws(() => planRollout(input(config, 'app boot', { secrets: { KAMAL_REGISTRY_PASSWORD: 'x' } })), /Secret 'DATABASE_URL' not found/);
});

test('the hooks a command can reach: all for the main commands, app boot and proxy reboot their own, none for the rest', () => {
  assert.deepEqual(hooksFiredBy('deploy'), ['pre-deploy', 'post-deploy', 'pre-app-boot', 'post-app-boot', 'docker-setup', 'pre-proxy-reboot', 'post-proxy-reboot']);
  assert.deepEqual(hooksFiredBy('app boot'), ['pre-app-boot', 'post-app-boot']);
  assert.deepEqual(hooksFiredBy('proxy reboot'), ['pre-proxy-reboot', 'post-proxy-reboot']);
  assert.deepEqual(hooksFiredBy('app stop'), []);
});
