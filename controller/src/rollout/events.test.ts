import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../store/sqlite-store.js';
import { EventLog, type IndexedEvent } from './events.js';

// Following a deployment's events against a real store: batches as they were committed, nothing missed or repeated.

const dir = mkdtempSync(join(tmpdir(), 'drover-events-'));
const store = new SqliteStore(dir);
after(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

let clock = 0;
const log = new EventLog(store, () => ++clock);
const newDeployment = (id: string) => store.createDeployment({ id, service: 'app', destination: null, command: 'deploy', version: 'v1', performer: 'me', createdAt: 1, snapshot: {} });
const texts = (batch: IndexedEvent[]) => batch.map((e) => `${e.index}:${e.event.type === 'say' ? e.event.text : e.event.type}`);

test('a follower gets the stored events as one batch, then each turn\'s events together, and stops after end', async () => {
  newDeployment('d-batches');
  log.append('d-batches', { type: 'say', text: 'one' });
  log.append('d-batches', { type: 'say', text: 'two' });
  const follow = log.follow('d-batches', 0, new AbortController().signal);
  assert.deepEqual(texts((await follow.next()).value as IndexedEvent[]), ['0:one', '1:two']);
  const live = follow.next();
  // Written in one event-loop turn: one group commit, one batch.
  log.append('d-batches', { type: 'say', text: 'three' });
  log.append('d-batches', { type: 'step', step: '0.0.web-1', host: 'web-1', op: 'image.tag', status: 'running' });
  log.append('d-batches', { type: 'say', text: 'four' });
  assert.deepEqual(texts((await live).value as IndexedEvent[]), ['2:three', '3:step', '4:four']);
  const end = follow.next();
  log.append('d-batches', { type: 'end', status: 'succeeded', error: null, details: [], exitCode: 0, runtimeSeconds: 1 });
  log.append('d-batches', { type: 'say', text: 'after the end' });
  assert.deepEqual(texts((await end).value as IndexedEvent[]), ['5:end']);
  assert.equal((await follow.next()).done, true);
});

test('following from an index skips what came before; omitSteps leaves out step records, also from a batch', async () => {
  newDeployment('d-from');
  for (const text of ['a', 'b', 'c']) log.append('d-from', { type: 'say', text });
  log.append('d-from', { type: 'step', step: '0.0.web-1', host: 'web-1', op: 'image.tag', status: 'succeeded', elapsedMs: 3 });
  log.append('d-from', { type: 'end', status: 'succeeded', error: null, details: [], exitCode: 0, runtimeSeconds: 1 });
  const batches: string[][] = [];
  for await (const batch of log.follow('d-from', 1, new AbortController().signal, { omitSteps: true })) batches.push(texts(batch));
  assert.deepEqual(batches, [['1:b', '2:c', '4:end']]);
});
