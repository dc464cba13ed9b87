import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from './backoff.js';

test('backoff grows exponentially, is capped, and is fully jittered', () => {
  const opts = { baseMs: 500, capMs: 30_000 };
  assert.equal(backoffDelay(0, opts, () => 0.999999), 499);
  assert.equal(backoffDelay(3, opts, () => 0.5), 2000);
  assert.equal(backoffDelay(20, opts, () => 0.999999), 29_999);
  assert.equal(backoffDelay(1000, opts, () => 0.5), 15_000);
  assert.equal(backoffDelay(5, opts, () => 0), 0);
});
