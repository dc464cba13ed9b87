import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopOperatorUnlessShared } from './slots.js';

function fixture(t: { after(fn: () => void): void }, live: number[]) {
  const dir = mkdtempSync(join(tmpdir(), 'operator-release-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const calls = { stop: 0 };
  const release = {
    liveSlots: async () => live,
    stop: async () => { calls.stop++; },
    lockDir: join(dir, 'operator.lock'),
  };
  return { calls, release, dir };
}

test('the operator side stops when no rig uses it (demo down, the suite\'s final rig down)', async (t) => {
  const { calls, release, dir } = fixture(t, []);
  assert.deepEqual(await stopOperatorUnlessShared(release), { stopped: true, live: [] });
  assert.equal(calls.stop, 1);
  assert.ok(!existsSync(join(dir, 'operator.lock')), 'the lock is released');
});

test('a test run\'s live rig keeps the operator side running', async (t) => {
  const { calls, release } = fixture(t, [3]);
  assert.deepEqual(await stopOperatorUnlessShared(release), { stopped: false, live: [3] });
  assert.equal(calls.stop, 0);
});
