import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plan } from '../plan/types.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { DeploymentRequest } from '../server/deployments-api.js';
import { Convergence, CONVERGENCE_PERFORMER } from './convergence.js';
import type { RolloutOutcome } from './runner.js';

// Convergence against a real store and a recording `submit`: which skipped hosts are deployed, when, with what.

const dir = mkdtempSync(join(tmpdir(), 'drover-converge-'));
const store = new SqliteStore(dir);
after(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

const FILES = [{ name: 'config/deploy.yml', content: 'service: app\n' }];
const ok: RolloutOutcome = { status: 'succeeded', error: null, details: [], exitCode: 0 };
const plan = (over: Partial<Plan>): Plan => ({
  command: 'deploy', service: 'app', destination: null, version: 'v2', lockKey: 'app', primaryRole: 'web', primaryHost: 'h1',
  roles: ['web'], hosts: ['h1', 'h2'], phases: [], skippedHosts: ['h3'], autoRollback: true, ...over,
});

let next = 0;
/** A deployment without -r/-h/-p, with no label fleet. */
const WHOLE = { fleet: null, wholeService: true };
function setup(online: Set<string>, labels: Record<string, Record<string, string>> = {}, service = 'app') {
  const submitted: DeploymentRequest[] = [];
  const lockKeys: string[] = [];
  const convergence = new Convergence({
    pending: store.convergence, store, secretBox: { unseal: (b: Buffer) => JSON.parse(b.toString()) as Record<string, string> },
    isOnline: (h) => online.has(h), log: { info: () => undefined, warn: () => undefined },
    agentLabels: () => Object.fromEntries(Object.entries(labels).map(([name, l]) => [name, { labels: l }])),
    submit: (req, lockKey) => {
      submitted.push(req);
      lockKeys.push(lockKey);
      const id = `conv-${next++}`;
      return store.createDeployment({ id, service, destination: null, command: 'deploy', version: req.version, performer: req.performer, createdAt: Date.now(), snapshot: {} });
    },
  });
  return { convergence, submitted, lockKeys };
}

test('a skipped host is deployed by the controller once its agent is back, from the skipping deployment\'s files and kept secrets', () => {
  store.createDeployment({ id: 'd1', service: 'app', destination: null, command: 'deploy', version: 'v2', performer: 'me', createdAt: 1, snapshot: { files: FILES, errorPages: null } });
  store.finishDeployment('d1', { status: 'succeeded', error: null, exitCode: 0, at: 2 });
  store.putServiceSecrets('app', 'v2', Buffer.from(JSON.stringify({ DB: 'secret' })), 1);
  const online = new Set<string>(['h1', 'h2']);
  const { convergence, submitted, lockKeys } = setup(online);
  convergence.deploymentFinished(store.getDeployment('d1')!, plan({}), ok, WHOLE);
  assert.deepEqual(store.convergence.pendingConvergence().map((p) => [p.host, p.version, p.deploymentId]), [['h3', 'v2', 'd1']]);

  convergence.tick();
  assert.equal(submitted.length, 0, 'h3 is still offline');
  online.add('h3');
  store.convergence.setConvergencePaused(true);
  convergence.tick();
  assert.equal(submitted.length, 0, 'paused');
  store.convergence.setConvergencePaused(false);
  store.acquireLock({ key: 'app', holder: 'someone', message: 'manual', version: null, acquiredAt: 1, automatic: false, deploymentId: null });
  convergence.tick();
  assert.equal(submitted.length, 0, 'the deploy lock is held');
  store.releaseLock('app');

  convergence.tick();
  assert.deepEqual(submitted, [{
    command: 'deploy', files: FILES, destination: null, version: 'v2', selection: { roles: [], hosts: ['h3'], primary: false }, secrets: { DB: 'secret' },
    hookFiles: [], hooks: [], assets: { errorPages: null, accessoryFiles: {} }, performer: CONVERGENCE_PERFORMER, lockHolder: CONVERGENCE_PERFORMER,
    skipPush: true, options: {}, lockWait: null,
  }]);
  assert.deepEqual(lockKeys, ['app@h3'], 'it locks the host only');
  assert.equal(convergence.converging('app', 'h3'), 'conv-0');
  convergence.tick();
  assert.equal(submitted.length, 1, 'not twice while the first one runs');
  store.finishDeployment('conv-0', { status: 'succeeded', error: null, exitCode: 0, at: 3 });

  // Its success clears the host; a later deployment that skips it again sets the newer version.
  const conv = store.getDeployment('conv-0')!;
  convergence.deploymentFinished(conv, plan({ hosts: ['h3'], skippedHosts: [] }), ok, WHOLE);
  assert.deepEqual(store.convergence.pendingConvergence(), []);
});

test('a failing convergence is tried a few times, its last error kept; missing secrets are an error, not a crash', () => {
  store.createDeployment({ id: 'd2', service: 'app', destination: null, command: 'deploy', version: 'v9', performer: 'me', createdAt: 2, snapshot: { files: FILES } });
  store.finishDeployment('d2', { status: 'succeeded', error: null, exitCode: 0, at: 3 });
  const { convergence, submitted } = setup(new Set(['h4']));
  convergence.deploymentFinished(store.getDeployment('d2')!, plan({ version: 'v9', hosts: ['h1'], skippedHosts: ['h4'] }), ok, WHOLE);
  for (let i = 0; i < 5; i++) convergence.tick();
  assert.equal(submitted.length, 0);
  const [pending] = store.convergence.pendingConvergence();
  assert.deepEqual([pending?.host, pending?.attempts], ['h4', 3]);
  assert.match(pending?.lastError ?? '', /the secrets of app v9 are no longer kept/);
});

test('failed and rolled-back deployments change nothing waiting; a failed convergence records why', () => {
  const { convergence } = setup(new Set());
  store.createDeployment({ id: 'd3', service: 'other', destination: null, command: 'deploy', version: 'v1', performer: 'me', createdAt: 3, snapshot: {} });
  convergence.deploymentFinished(store.getDeployment('d3')!, plan({ lockKey: 'other', skippedHosts: ['x'] }), { ...ok, status: 'rolled_back', error: 'x' }, WHOLE);
  assert.ok(!store.convergence.pendingConvergence().some((p) => p.key === 'other'));
  convergence.deploymentFinished(store.getDeployment('d3')!, plan({ lockKey: 'other', skippedHosts: ['x'] }), ok, WHOLE);
  store.createDeployment({ id: 'c3', service: 'other', destination: null, command: 'deploy', version: 'v1', performer: CONVERGENCE_PERFORMER, createdAt: 4, snapshot: {} });
  convergence.deploymentFinished(store.getDeployment('c3')!, plan({ lockKey: 'other', hosts: ['x'], skippedHosts: [] }), { ...ok, status: 'failed', error: 'x: did not become healthy' }, WHOLE);
  assert.equal(store.convergence.pendingConvergence().find((p) => p.key === 'other')?.lastError, 'x: did not become healthy');
});

test('an agent that comes to match a label-selected role joins it: it converges to the fleet\'s version under its own host lock', () => {
  const whole = (members: string[]) => ({ fleet: { selectors: { web: { tier: 'edge' } }, members }, wholeService: true });
  const finished = (id: string, version: string, over: { performer?: string; command?: 'deploy' | 'remove' } = {}) => {
    store.createDeployment({ id, service: 'edge', destination: null, command: over.command ?? 'deploy', version, performer: over.performer ?? 'me', createdAt: 10, snapshot: { files: FILES, errorPages: null } });
    store.finishDeployment(id, { status: 'succeeded', error: null, exitCode: 0, at: 11 });
    return store.getDeployment(id)!;
  };
  const edgePlan = (over: Partial<Plan>) => plan({ service: 'edge', lockKey: 'edge', skippedHosts: [], ...over });
  const waiting = () => store.convergence.pendingConvergence().filter((p) => p.key === 'edge').map((p) => [p.host, p.version, p.deploymentId, p.reason]);
  store.putServiceSecrets('edge', 'v1', Buffer.from('{}'), 1);
  store.putServiceSecrets('edge', 'v2', Buffer.from('{}'), 2);
  const labels: Record<string, Record<string, string>> = { e1: { tier: 'edge' }, e2: { tier: 'edge', region: 'eu' }, c1: { tier: 'core' } };
  const online = new Set(['e1', 'e2', 'c1']);
  const { convergence, submitted, lockKeys } = setup(online, labels, 'edge');

  convergence.deploymentFinished(finished('f1', 'v1'), edgePlan({ version: 'v1', hosts: ['e1', 'e2'] }), ok, whole(['e1', 'e2']));
  convergence.tick();
  assert.deepEqual([waiting(), submitted.length], [[], 0], 'members and non-matching agents wait for nothing');

  labels.e3 = { tier: 'edge' };
  labels.e4 = { tier: 'edge' };
  convergence.tick();
  assert.deepEqual(waiting(), [['e3', 'v1', 'f1', 'joined'], ['e4', 'v1', 'f1', 'joined']], 'enrolled (offline) agents that match wait for the fleet\'s version');
  assert.equal(submitted.length, 0);
  online.add('e3').add('e4');
  convergence.tick();
  assert.deepEqual(submitted.map((r) => [r.selection?.hosts, r.version]), [[['e3'], 'v1'], [['e4'], 'v1']], 'each converges, side by side');
  assert.deepEqual(lockKeys, ['edge@e3', 'edge@e4']);
  assert.deepEqual(store.convergence.labelFleets().find((f) => f.key === 'edge')?.members, ['e1', 'e2', 'e3', 'e4'], 'admitted once');
  convergence.tick();
  assert.equal(submitted.length, 2, 'not again while they run');

  // An operator's deployment of the service runs: a new joiner waits for it, then for its version.
  store.createDeployment({ id: 'f2', service: 'edge', destination: null, command: 'deploy', version: 'v2', performer: 'me', createdAt: 12, snapshot: { files: FILES } });
  labels.e5 = { tier: 'edge' };
  online.add('e5');
  convergence.tick();
  assert.equal(submitted.length, 2, 'no convergence while the service deploys');
  assert.deepEqual(waiting().at(-1), ['e5', 'v1', 'f1', 'joined']);
  store.finishDeployment('f2', { status: 'succeeded', error: null, exitCode: 0, at: 13 });
  convergence.deploymentFinished(store.getDeployment('f2')!, edgePlan({ version: 'v2', hosts: ['e1', 'e2', 'e3', 'e4'] }), ok, whole(['e1', 'e2', 'e3', 'e4']));
  assert.deepEqual(waiting(), [['e5', 'v2', 'f2', 'joined']], 'the joiner follows the newest version; deployed hosts wait for nothing');
  assert.deepEqual(store.convergence.labelFleets().find((f) => f.key === 'edge')?.members, ['e1', 'e2', 'e3', 'e4', 'e5']);

  const runningConvergences = () => store.listDeployments({ service: 'edge', status: 'running' }).map((d) => d.id);
  for (const id of runningConvergences()) store.finishDeployment(id, { status: 'succeeded', error: null, exitCode: 0, at: 14 });
  convergence.tick();
  assert.deepEqual(submitted.at(-1)?.selection?.hosts, ['e5']);
  const [conv] = runningConvergences();
  store.finishDeployment(conv!, { status: 'succeeded', error: null, exitCode: 0, at: 15 });
  convergence.deploymentFinished(store.getDeployment(conv!)!, edgePlan({ version: 'v2', hosts: ['e5'] }), ok, whole(['e1', 'e2', 'e3', 'e4', 'e5']));
  assert.deepEqual(waiting(), []);
  assert.equal(store.convergence.labelFleets().find((f) => f.key === 'edge')?.deploymentId, 'f2', 'a convergence leaves the fleet as deployed');

  // Removed from one host (`remove -h e7`): nothing waits there, and it is not brought back.
  store.convergence.setConvergencePaused(true);
  labels.e7 = { tier: 'edge' };
  convergence.tick();
  assert.deepEqual(waiting(), [['e7', 'v2', 'f2', 'joined']]);
  convergence.deploymentFinished(finished('f4', 'v2', { command: 'remove' }), edgePlan({ command: 'remove', version: 'v2', hosts: ['e7'] }), ok, { fleet: null, wholeService: false });
  convergence.tick();
  assert.deepEqual(waiting(), []);
  assert.ok(store.convergence.labelFleets().find((f) => f.key === 'edge')?.members.includes('e7'));
  store.convergence.setConvergencePaused(false);

  // Removed, the service has no fleet: a matching agent joins nothing.
  convergence.deploymentFinished(finished('f3', 'v2', { command: 'remove' }), edgePlan({ command: 'remove', version: 'v2' }), ok, whole([]));
  labels.e6 = { tier: 'edge' };
  convergence.tick();
  assert.deepEqual([waiting(), store.convergence.labelFleets().some((f) => f.key === 'edge')], [[], false]);
});

test('agents connecting together share one tick', async () => {
  const { convergence } = setup(new Set());
  let ticks = 0;
  const tick = convergence.tick.bind(convergence);
  convergence.tick = () => { ticks++; tick(); };
  const waitFor = async (n: number) => { while (ticks < n) await new Promise((r) => setTimeout(r, 5)); };
  for (let i = 0; i < 3; i++) convergence.soon(20);
  await waitFor(1);
  convergence.soon(20);
  await waitFor(2);
  assert.equal(ticks, 2, 'three agents connecting at once made one tick, the next one another');
  convergence.stop();
});

test('a store that fails while convergence looks is logged, not thrown at the timer', () => {
  const warnings: string[] = [];
  const convergence = new Convergence({
    pending: Object.assign(Object.create(store.convergence) as typeof store.convergence, { labelFleets: () => { throw new Error('database disk image is malformed'); } }),
    store, secretBox: { unseal: () => ({}) }, isOnline: () => true, agentLabels: () => ({}),
    log: { info: () => undefined, warn: (obj) => warnings.push(JSON.stringify(obj)) },
    submit: () => { throw new Error('not reached'); },
  });
  assert.doesNotThrow(() => convergence.tick());
  assert.match(warnings.join('\n'), /database disk image is malformed/);
});
