import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { UserError } from '@drover/shared';
import { INITIAL_STREAM_WINDOW, MAX_FRAME_BYTES } from '@drover/shared/protocol';
import type { OperatorClient } from '../client/operator-client.js';
import { MAX_COLLECTED_OUTPUT_BYTES } from '../server/routes-ops.js';
import { adminClient, enrollAgent, eventually, removeDir, startAgent, startController, tempDir, type ControllerProc, type Proc } from './harness.js';
import { enrollRaw } from './raw-agent.js';
import { FakeOpsAgent } from './fake-ops-agent.js';

// What one call may carry, against a real controller process: output collected for one answer is capped
// (the agent is stopped past it), and params or results over one websocket frame travel as streams between
// a real agent process and the controller instead of closing the connection under every other call.

const rejectsWith = (message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof UserError, String(err));
  assert.match(err.message, message);
  return true;
};

describe('payload limits: collected output, params and results over one frame', () => {
  let dir: string;
  let ctl: ControllerProc;
  let admin: OperatorClient;
  let fake: FakeOpsAgent;
  let agent: Proc | null = null;

  before(async () => {
    dir = tempDir('payload-limits');
    ctl = await startController(join(dir, 'ctl'));
    ({ client: admin } = await adminClient(ctl, 'admin'));
    const e = await enrollRaw(ctl.url, ctl.fingerprint, (await admin.mintJoinToken({ name: 'fake-1' })).token);
    fake = new FakeOpsAgent();
    await fake.connect(ctl, e.identity!);
    const adir = join(dir, 'real');
    assert.equal((await enrollAgent(adir, (await admin.mintJoinToken({ name: 'real-1' })).token)).code, 0);
    agent = startAgent(adir);
    await eventually(async () => (await admin.listAgents()).find((a) => a.name === 'real-1' && a.online), 15_000, 'the real agent online');
  });
  after(async () => {
    await agent?.stop();
    fake?.conn.close();
    await admin?.close();
    await ctl?.proc.stop();
    if (dir) removeDir(dir);
  });

  test('output collected for one answer stops at the cap with a clear error, and the agent is stopped', async () => {
    const total = MAX_COLLECTED_OUTPUT_BYTES + 8 * 1024 * 1024;
    fake.onRequest = (c) => void fake.write(c, Buffer.alloc(total, 0x61)).then((whole) => whole && fake.answer(c, { container: 'c', lines: 0 }));
    await assert.rejects(admin.rpcStream('fake-1', 'containers.logs', { container: 'shop-web-v1' }, Buffer.alloc(0), { timeoutMs: 60_000 }),
      rejectsWith(/containers\.logs: output passed 16\.0 MiB, more than one answer may hold; the call was stopped\. Follow it instead/));
    const call = fake.last('containers.logs')!;
    await eventually(() => call.cancelled, 10_000, 'the agent to see the cancel');
    assert.ok(call.sent <= MAX_COLLECTED_OUTPUT_BYTES + 2 * INITIAL_STREAM_WINDOW, `the agent sent ${call.sent} bytes`);
    assert.ok(call.sent < total);
  });

  test('params and results over one frame reach the other end; the connection and other calls survive', async () => {
    const big = 3 * MAX_FRAME_BYTES;
    const connectedBefore = agent!.all.match(/ connected /g)?.length ?? 0;
    const sleeping = admin.rpc('real-1', 'test.sleep', { ms: 1500 }, 30_000);
    const r = await admin.rpc('real-1', 'test.payload', { data: 'p'.repeat(big), resultBytes: big }, 30_000) as { received: number; data: string };
    assert.equal(r.received, big);
    assert.equal(r.data.length, big);
    assert.deepEqual(await sleeping, { slept: 1500 });
    assert.equal(agent!.all.match(/ connected /g)?.length ?? 0, connectedBefore, `the agent reconnected:\n${agent!.all.slice(-2000)}`);
  });

  test('a result over the call limit fails that call only, naming the method and the size', async () => {
    const connectedBefore = agent!.all.match(/ connected /g)?.length ?? 0;
    const sleeping = admin.rpc('real-1', 'test.sleep', { ms: 1000 }, 30_000);
    await assert.rejects(admin.rpc('real-1', 'test.payload', { resultBytes: 17 * 1024 * 1024 }, 30_000),
      rejectsWith(/test\.payload: result of 17\.0 MiB \(\d+ bytes\) is over the 16\.0 MiB limit of one call/));
    assert.deepEqual(await sleeping, { slept: 1000 });
    assert.equal(agent!.all.match(/ connected /g)?.length ?? 0, connectedBefore);
  });
});
