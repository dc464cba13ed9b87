import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoadBalancer } from './load_balancer.js';
import { defaultTargetOptions } from './options.js';
import { startTarget } from './test_support.js';

test('illegal target names are rejected; names keep their order', () => {
  for (const bad of ['', '_', '/', 'b:80']) assert.throws(() => new LoadBalancer([bad], [], defaultTargetOptions(), 0, false), /invalid host pattern/);
  assert.deepEqual(new LoadBalancer(['bb:80', 'aa:80', 'cc'], [], defaultTargetOptions(), 0, false).names, ['bb:80', 'aa:80', 'cc']);
});

test('WaitUntilHealthy needs every target healthy', async () => {
  const good = await startTarget('good');
  const bad = await startTarget('bad', (_req, res) => { res.statusCode = 500; res.end(); });
  const options = { ...defaultTargetOptions(), healthCheck: { ...defaultTargetOptions().healthCheck, intervalMs: 20 } };
  const mixed = new LoadBalancer([good.address, bad.address], [], options, 0, false);
  const fine = new LoadBalancer([good.address], [], options, 0, false);
  try {
    mixed.start();
    fine.start();
    assert.equal(await mixed.waitUntilHealthy(200), false);
    assert.equal(await fine.waitUntilHealthy(2000), true);
  } finally {
    mixed.dispose();
    fine.dispose();
    await mixed.drainAll(0);
    await fine.drainAll(0);
    await good.close();
    await bad.close();
  }
});
