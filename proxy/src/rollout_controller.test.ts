import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { RolloutController } from './rollout_controller.js';

/** Distinct, well-spread cookie values (deterministic, so the test is not flaky). */
const value = (i: number): string => createHash('sha256').update(String(i)).digest('hex').slice(0, 16);

test('allowlist matches; no cookie never rolls out', () => {
  const r = new RolloutController(0, ['1', '2']);
  assert.equal(r.requestUsesRollout('kamal-rollout=1'), true);
  assert.equal(r.requestUsesRollout('a=b; kamal-rollout=2'), true);
  assert.equal(r.requestUsesRollout('kamal-rollout=3'), false);
  assert.equal(r.requestUsesRollout(undefined), false);
});

test('percentage split is close to the percentage and sticky', () => {
  for (const [percent, expected] of [[60, 1200], [10, 200]] as const) {
    const r = new RolloutController(percent, ['allowed']);
    let hits = 0;
    for (let i = 0; i < 2000; i++) if (r.requestUsesRollout(`kamal-rollout=${value(i)}`)) hits++;
    assert.ok(Math.abs(hits - expected) <= 40, `${percent}%: ${hits}`);
    assert.equal(r.requestUsesRollout('kamal-rollout=allowed'), true);
    assert.equal(r.requestUsesRollout('kamal-rollout=5'), r.requestUsesRollout('kamal-rollout=5'));
  }
});
