import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, formatDuration } from './duration.js';

test('Go durations parse to milliseconds and format back', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('0'), 0);
  assert.throws(() => parseDuration('soon'), /time: invalid duration "soon"/);
  assert.throws(() => parseDuration('30'), /time: missing unit in duration "30"/);
  assert.equal(formatDuration(30_000), '30s');
  assert.equal(formatDuration(20), '20ms');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(3_600_000), '1h0m0s');
});
