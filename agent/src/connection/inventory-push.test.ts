import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InventoryInput } from '@drover/shared/protocol';
import { hostFacts } from './inventory-push.js';

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
