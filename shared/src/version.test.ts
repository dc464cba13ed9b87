import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DROVER_VERSION } from './index.js';

test('version is semver', () => {
  assert.match(DROVER_VERSION, /^\d+\.\d+\.\d+$/);
});
