import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@drover/shared';
import { IdempotencyStore } from './idempotency.js';

test('an operation id runs once: concurrent and later retries get the recorded outcome, also after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-idem-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let runs = 0;
  const store = new IdempotencyStore(dir);
  const work = async () => { runs++; await new Promise((r) => setTimeout(r, 20)); return { n: runs }; };
  const [a, b] = await Promise.all([store.run('op-1', 'app.boot', work), store.run('op-1', 'app.boot', work)]);
  assert.deepEqual([a, b, runs], [{ n: 1 }, { n: 1 }, 1]);
  assert.deepEqual(await new IdempotencyStore(dir).run('op-1', 'app.boot', work), { n: 1 });
  assert.equal(runs, 1);
  await assert.rejects(store.run('op-1', 'app.stop', work), /operation op-1 was already used for app\.boot, not app\.stop/);

  await assert.rejects(store.run('op-2', 'app.boot', async () => { throw new UserError('boom', { details: ['d'] }); }), { message: 'boom' });
  await assert.rejects(new IdempotencyStore(dir).run('op-2', 'app.boot', work), (e: UserError) => e.message === 'boom' && e.details[0] === 'd');
  await assert.rejects(store.run('../etc/passwd', 'app.boot', work), /is not valid/);
});
