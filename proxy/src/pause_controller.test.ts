import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PauseController } from './pause_controller.js';

test('running proceeds; paused waits for resume or times out; stop fails waiters with the message', async () => {
  const p = new PauseController();
  assert.deepEqual(p.wait(), { kind: 'proceed' });
  p.pause(1000);
  const waiting = p.wait();
  p.resume();
  assert.deepEqual(await waiting, { kind: 'proceed' });
  p.pause(10);
  assert.deepEqual(await p.wait(), { kind: 'timed-out' });
  p.pause(1000);
  const queued = p.wait();
  p.stop('Back in 15 mins!');
  assert.deepEqual(await queued, { kind: 'stopped', message: 'Back in 15 mins!' });
  assert.deepEqual(p.wait(), { kind: 'stopped', message: 'Back in 15 mins!' });
  assert.equal(p.stateNumber, 2);
});
