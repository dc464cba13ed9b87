import { test } from 'node:test';
import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import { auditLine, recordedAt } from './audit.js';
import { demuxBuffer } from './containers.js';
import { splitRef } from './images.js';
import { classify, healthFromStatus } from './inventory.js';
import { lineFilter, parseSince } from './logs.js';
import { containersToPrune, imageTagsToPrune } from './prune.js';
import { waitForReadiness } from './readiness.js';

test('audit line: Kamal tags, nils left out, second-precision UTC', () => {
  const at = new Date('2024-05-06T07:08:09.123Z');
  assert.equal(recordedAt(at), '2024-05-06T07:08:09Z');
  assert.equal(auditLine({ service: 'app', destination: null, performer: 'me@x', role: 'web' }, 'Booted app version 1', at), '[2024-05-06T07:08:09Z] [me@x] [web] Booted app version 1');
  assert.equal(auditLine({ service: 'app', destination: 'prod', performer: 'me' }, 'Pruned', at), '[2024-05-06T07:08:09Z] [me] [prod] Pruned');
});

test('readiness poller: running then readiness delay; retry backoff; Kamal\'s timeout message', async () => {
  let clock = 0;
  const sleeps: number[] = [];
  const said: string[] = [];
  const seq = ['starting', 'starting', 'healthy'];
  const ok = await waitForReadiness({ status: async () => seq.shift()!, deployTimeout: 30, readinessDelay: 7, say: (l) => said.push(l), sleep: async (s) => { sleeps.push(s); clock += s * 1000; }, now: () => clock });
  assert.equal(ok, 'healthy');
  assert.deepEqual(sleeps, [1, 2]);
  assert.equal(said.at(-1), 'Container is healthy!');

  clock = 0; sleeps.length = 0;
  const running = await waitForReadiness({ status: async () => 'running', deployTimeout: 30, readinessDelay: 7, say: () => {}, sleep: async (s) => { sleeps.push(s); clock += s * 1000; }, now: () => clock });
  assert.equal(running, 'running');
  assert.deepEqual(sleeps, [7]);

  clock = 0; sleeps.length = 0;
  await assert.rejects(waitForReadiness({ status: async () => 'unhealthy', deployTimeout: 5, readinessDelay: 0, say: () => {}, sleep: async (s) => { sleeps.push(s); clock += s * 1000; }, now: () => clock }), { message: 'container not ready after 5 seconds (unhealthy)' });
  assert.deepEqual(sleeps, [1, 2, 2]);
});

test('inventory classification of Kamal-made containers', () => {
  const info = (name: string, labels: Record<string, string>, image = 'r/app:1', status = 'Up 1 minute (healthy)') =>
    ({ Id: name, Names: [`/${name}`], Image: image, State: 'running', Status: status, Labels: labels, Created: 1 }) as unknown as Dockerode.ContainerInfo;
  assert.deepEqual(classify(info('app-web-abc', { service: 'app', role: 'web', destination: '' }))?.version, 'abc');
  const r = classify(info('app-web-prod-abc_replaced_0011', { service: 'app', role: 'web', destination: 'prod' }))!;
  assert.deepEqual([r.kind, r.destination, r.version], ['replaced', 'prod', 'abc']);
  assert.equal(classify(info('kamal-proxy', {}, 'basecamp/kamal-proxy:v0.9.2'))?.version, 'v0.9.2');
  assert.equal(classify(info('app-mysql', { service: 'app-mysql' }))?.kind, 'accessory');
  assert.equal(classify(info('app-web-exec-abc-a1b2c3', { service: 'app' }))?.kind, 'exec');
  assert.equal(classify(info('random', {})), null);
  assert.equal(healthFromStatus('Up 2 seconds (health: starting)'), 'starting');
  assert.equal(healthFromStatus('Exited (0) 3 seconds ago'), 'none');
});

test('prune selection: keep the newest `retain`; keep used images, the latest tag and <none>', () => {
  assert.deepEqual(containersToPrune(['c5', 'c4', 'c3', 'c2', 'c1'], 2), ['c3', 'c2', 'c1']);
  assert.deepEqual(imageTagsToPrune(['r/app:1', 'r/app:2', 'r/app:latest', '<none>:<none>'], new Set(['r/app:2']), 'r/app:latest'), ['r/app:1']);
});

test('logs: --since forms and grep options', () => {
  const now = Date.parse('2024-01-01T01:00:00Z');
  assert.equal(parseSince('5m', now), now / 1000 - 300);
  assert.equal(parseSince('1h30m', now), now / 1000 - 5400);
  assert.equal(parseSince('2024-01-01T00:00:00Z', now), now / 1000 - 3600);
  assert.equal(parseSince('1700000000', now), 1700000000);
  assert.throws(() => parseSince('yesterday', now), /--since yesterday/);
  assert.equal(lineFilter('GET', null)('"GET /up"'), true);
  assert.equal(lineFilter('get', '-i')('GET /up'), true);
  assert.equal(lineFilter('up', '-v')('GET /up'), false);
  assert.equal(lineFilter('^GET /(up|version)$', '-E')('GET /version'), true);
});

test('docker multiplexed frames are flattened; raw TTY output passes through', () => {
  const frame = (type: number, text: string) => Buffer.concat([Buffer.from([type, 0, 0, 0, 0, 0, 0, text.length]), Buffer.from(text)]);
  assert.equal(demuxBuffer(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')])).toString(), 'out\nerr\n');
  assert.equal(demuxBuffer(Buffer.from('plain tty text')).toString(), 'plain tty text');
  assert.deepEqual(splitRef('10.0.0.1:5443/drover/app:v1'), { repo: '10.0.0.1:5443/drover/app', tag: 'v1' });
  assert.deepEqual(splitRef('10.0.0.1:5443/drover/app'), { repo: '10.0.0.1:5443/drover/app', tag: 'latest' });
});
