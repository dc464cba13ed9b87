import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTime } from './utc-time.js';

test('isoTime writes what toISOString writes', () => {
  const samples = [0, 1, 999, 86_399_999, Date.UTC(2026, 11, 2, 13, 23, 38, 242), Date.UTC(2000, 1, 29, 23, 59, 59, 5), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(1, 0, 1), -1];
  for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * 253_402_300_799_999));
  for (const ms of samples) assert.equal(isoTime(ms), new Date(ms).toISOString(), `at ${ms}`);
  assert.equal(isoTime(new Date(Date.UTC(2026, 0, 5, 4, 3, 2, 1))), '2026-01-05T04:03:02.001Z');
});

test('outside years 0–9999 and for an invalid date it defers to toISOString (six-digit years, RangeError)', () => {
  assert.equal(isoTime(Date.UTC(10_000, 0, 1)), '+010000-01-01T00:00:00.000Z');
  assert.throws(() => isoTime(Number.NaN), RangeError);
});
