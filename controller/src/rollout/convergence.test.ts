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

function setup(online: Set<string>) {
  const submitted: DeploymentRequest[] = [];
  let next = 0;
  const convergence = new Convergence({
    pending: store.convergence, store, secretBox: { unseal: (b: Buffer) => JSON.parse(b.toString()) as Record<string, string> },
    isOnline: (h) => online.has(h), log: { info: () => undefined, warn: () => undefined },
    submit: (req) => {
      submitted.push(req);
      const id = `conv-${next++}`;
      return store.createDeployment({ id, service: 'app', destination: null, command: 'deploy', version: req.version, performer: req.performer, createdAt: Date.now(), snapshot: {} });
    },
  });
  return { convergence, submitted };
}

test('a skipped host is deployed by the controller once its agent is back, from the skipping deployment\'s files and kept secrets', () => {
  store.createDeployment({ id: 'd1', service: 'app', destination: null, command: 'deploy', version: 'v2', performer: 'me', createdAt: 1, snapshot: { files: FILES, errorPages: null } });
  store.finishDeployment('d1', { status: 'succeeded', error: null, exitCode: 0, at: 2 });
  store.putServiceSecrets('app', 'v2', Buffer.from(JSON.stringify({ DB: 'secret' })), 1);
  const online = new Set<string>(['h1', 'h2']);
  const { convergence, submitted } = setup(online);
  convergence.deploymentFinished(store.getDeployment('d1')!, plan({}), ok);
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
  convergence.tick();
  assert.equal(submitted.length, 1, 'not twice while the first one runs');
  store.finishDeployment('conv-0', { status: 'succeeded', error: null, exitCode: 0, at: 3 });

  // Its success clears the host; a later deployment that skips it again sets the newer version.
  const conv = store.getDeployment('conv-0')!;
  convergence.deploymentFinished(conv, plan({ hosts: ['h3'], skippedHosts: [] }), ok);
  assert.deepEqual(store.convergence.pendingConvergence(), []);
});

test('a failing convergence is tried a few times, its last error kept; missing secrets are an error, not a crash', () => {
  store.createDeployment({ id: 'd2', service: 'app', destination: null, command: 'deploy', version: 'v9', performer: 'me', createdAt: 2, snapshot: { files: FILES } });
  store.finishDeployment('d2', { status: 'succeeded', error: null, exitCode: 0, at: 3 });
  const { convergence, submitted } = setup(new Set(['h4']));
  convergence.deploymentFinished(store.getDeployment('d2')!, plan({ version: 'v9', hosts: ['h1'], skippedHosts: ['h4'] }), ok);
  for (let i = 0; i < 5; i++) convergence.tick();
  assert.equal(submitted.length, 0);
  const [pending] = store.convergence.pendingConvergence();
  assert.deepEqual([pending?.host, pending?.attempts], ['h4', 3]);
  assert.match(pending?.lastError ?? '', /the secrets of app v9 are no longer kept/);
});

test('failed and rolled-back deployments change nothing waiting; a failed convergence records why', () => {
  const { convergence } = setup(new Set());
  store.createDeployment({ id: 'd3', service: 'other', destination: null, command: 'deploy', version: 'v1', performer: 'me', createdAt: 3, snapshot: {} });
  convergence.deploymentFinished(store.getDeployment('d3')!, plan({ lockKey: 'other', skippedHosts: ['x'] }), { ...ok, status: 'rolled_back', error: 'x' });
  assert.ok(!store.convergence.pendingConvergence().some((p) => p.key === 'other'));
  convergence.deploymentFinished(store.getDeployment('d3')!, plan({ lockKey: 'other', skippedHosts: ['x'] }), ok);
  store.createDeployment({ id: 'c3', service: 'other', destination: null, command: 'deploy', version: 'v1', performer: CONVERGENCE_PERFORMER, createdAt: 4, snapshot: {} });
  convergence.deploymentFinished(store.getDeployment('c3')!, plan({ lockKey: 'other', hosts: ['x'], skippedHosts: [] }), { ...ok, status: 'failed', error: 'x: did not become healthy' });
  assert.equal(store.convergence.pendingConvergence().find((p) => p.key === 'other')?.lastError, 'x: did not become healthy');
});
