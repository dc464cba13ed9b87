import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { InventoryInput, RpcSession } from '@drover/shared/protocol';
import { hostFacts, InventoryPusher } from './inventory-push.js';

const facts = (n: number): InventoryInput => ({ t: 'inventory', hostname: `h${n}`, agentVersion: '0', os: 'linux', arch: 'x64', docker: null, containers: [] });

test('host facts are collected on every connection and reused for a minute by change reports', async () => {
  let clock = 0;
  let collected = 0;
  const f = hostFacts(null, () => clock, async () => facts(++collected));
  assert.equal((await f.recent()).hostname, 'h1', 'nothing cached yet: collects');
  clock = 59_000;
  assert.equal((await f.recent()).hostname, 'h1', 'within a minute: reused');
  assert.equal((await f.fresh()).hostname, 'h2', 'a connection always collects');
  clock = 59_000 + 60_000;
  assert.equal((await f.recent()).hostname, 'h3', 'a minute later: collected again');
  assert.equal(collected, 3);
});

test('a failed collection is not reused', async () => {
  let calls = 0;
  const f = hostFacts(null, () => 0, async () => {
    calls++;
    if (calls === 1) throw new Error('daemon gone');
    return facts(calls);
  });
  await assert.rejects(f.recent(), /daemon gone/);
  assert.equal((await f.recent()).hostname, 'h2');
});

/** A pusher on mocked timers and clock, recording when it reported. */
function pusherOnMockedTime(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let clock = 0;
  const reports: number[] = [];
  const quiet = { info() {}, warn() {}, error() {} };
  const pusher = new InventoryPusher(async () => facts(reports.length), quiet, { delayMs: 200, maxHoldMs: 5_000, now: () => clock });
  pusher.attach({ notify: () => { reports.push(clock); } } as unknown as RpcSession);
  const advance = async (ms: number) => {
    clock += ms;
    t.mock.timers.tick(ms);
    // The collection is asynchronous: let it finish.
    await new Promise((r) => setImmediate(r));
  };
  return { pusher, reports, advance };
}

test('a burst of changes makes one report, 200 ms after the last', async (t) => {
  const { pusher, reports, advance } = pusherOnMockedTime(t);
  pusher.changed();
  await advance(150);
  pusher.changed();
  await advance(150);
  assert.deepEqual(reports, []);
  await advance(50);
  assert.deepEqual(reports, [350]);
});

test('while a mutating operation runs, its changes wait; one report follows its end', async (t) => {
  const { pusher, reports, advance } = pusherOnMockedTime(t);
  const end = pusher.hold();
  pusher.changed(); // e.g. Docker's event for the container the operation started
  await advance(1_000);
  const endOther = pusher.hold();
  await advance(1_000);
  end();
  await advance(1_000);
  assert.deepEqual(reports, [], 'another operation still runs');
  endOther();
  await advance(200);
  assert.deepEqual(reports, [3_200]);
});

test('a long operation holds a change back for 5 s at most', async (t) => {
  const { pusher, reports, advance } = pusherOnMockedTime(t);
  pusher.hold();
  pusher.changed();
  for (let i = 0; i < 30; i++) await advance(200);
  assert.deepEqual(reports, [5_000]);
  pusher.changed(); // at 6 s, the operation still running
  for (let i = 0; i < 24; i++) await advance(200);
  assert.deepEqual(reports, [5_000], 'a new change waits again');
  await advance(200);
  assert.deepEqual(reports, [5_000, 11_000]);
});
