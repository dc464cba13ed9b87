import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../store/sqlite-store.js';
import { Deployments, type DeploymentsDeps } from './deployments.js';

// Recovery at controller start against a real store: what a deployment the controller stopped in was doing.

const dir = mkdtempSync(join(tmpdir(), 'drover-recover-'));
const store = new SqliteStore(dir);
after(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

const deployments = () => new Deployments({ store, log: { info: () => undefined, error: () => undefined } } as unknown as DeploymentsDeps);
const endOf = (id: string) => store.listEvents(id, 0).map((e) => e.event as { type: string; details?: string[] }).find((e) => e.type === 'end');

test('an interrupted deployment names the steps under way, or else the phase its last line announced', () => {
  store.createDeployment({ id: 'd-steps', service: 'app', destination: null, command: 'deploy', version: 'v1', performer: 'me', createdAt: 1, snapshot: {} });
  store.appendEvent('d-steps', 2, { type: 'say', text: 'Start container with version v1 (or reboot if already running)...' });
  store.recordStep({ deploymentId: 'd-steps', stepId: '5.boot.web-1', host: 'web-1', kind: 'app.boot', status: 'running', startedAt: 3, finishedAt: null, error: null });
  // Sent, not yet recorded: the controller stopped in between.
  store.createDeployment({ id: 'd-sent', service: 'other', destination: null, command: 'deploy', version: 'v1', performer: 'me', createdAt: 1, snapshot: {} });
  store.appendEvent('d-sent', 2, { type: 'say', text: 'Acquiring the deploy lock...' });
  store.appendEvent('d-sent', 3, { type: 'say', text: 'Start container with version v1 (or reboot if already running)...' });

  const failed = deployments().recoverInterrupted();
  assert.deepEqual(failed.map((d) => d.id).sort(), ['d-sent', 'd-steps']);
  assert.deepEqual(endOf('d-steps')?.details, ['web-1: app.boot was in progress; its outcome on the host is unknown here (see `drover details`)']);
  assert.deepEqual(endOf('d-sent')?.details, ['controller: stopped during "Start container with version v1 (or reboot if already running)..."; what the hosts did of it is unknown here (see `drover details`)']);
});
