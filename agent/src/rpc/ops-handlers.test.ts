import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '@drover/shared';
import { RpcError, RpcSession, SESSION_TYPES, SessionMessage, decodeFrame } from '@drover/shared/protocol';
import { IdempotencyStore } from '../ops/idempotency.js';
import type { Operation } from '../ops/index.js';
import { OPERATION_FAILED, operationHandlers } from './ops-handlers.js';
import { HandlerRegistry } from './registry.js';

const quiet = { info() {}, warn() {}, error() {} };

/** A controller-side session wired to an agent-side session serving `registry`, through the real decoder. */
function connect(registry: HandlerRegistry) {
  let ctl!: RpcSession;
  let agent!: RpcSession;
  const deliver = (to: () => RpcSession) => (frame: string) => setImmediate(() => {
    const d = decodeFrame(frame, SessionMessage, SESSION_TYPES);
    if (d.ok) to().handle(d.msg);
  });
  ctl = new RpcSession({ idPrefix: 'c', send: deliver(() => agent) });
  agent = new RpcSession({ idPrefix: 'a', send: deliver(() => ctl), handler: (m) => registry.lookup(m) });
  return { ctl, agent };
}

/** Small operations with the executor's shape: a recorded mutating one, a failing one and an exec-like stream. */
function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'drover-ops-rpc-'));
  const store = new IdempotencyStore(dir, { log: quiet, rerunAfterInterruption: () => false });
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let sawAbort = false;
  /** Resolves once a slow `thing.make` runs, and once a `thing.wait` waits: the tests act on a running operation. */
  let makeStarted!: () => void;
  const making = new Promise<void>((r) => { makeStarted = r; });
  let waitStarted!: () => void;
  const waiting = new Promise<void>((r) => { waitStarted = r; });
  const ops: Record<string, Operation> = {
    'thing.make': {
      params: z.object({ name: z.string().min(1), slow: z.boolean().default(false) }).strict(), stream: 'optional', mutates: true,
      run: (p, ctx) => store.run(ctx.operationId, 'thing.make', p, async () => {
        runs++;
        await ctx.emit(`making ${p.name}\n`);
        if (p.slow) {
          makeStarted();
          await gate;
        }
        ctx.signal.addEventListener('abort', () => { sawAbort = true; });
        return { made: p.name, run: runs };
      }),
    },
    'thing.fail': {
      params: z.object({}).strict(), stream: 'none', mutates: true,
      run: (_p, ctx) => store.run(ctx.operationId, 'thing.fail', {}, async () => { throw new UserError('thing did not work', { details: ['last log line'], exitCode: 2 }); }),
    },
    'thing.exec': {
      params: z.object({}).strict(), stream: 'required', mutates: false,
      run: async (_p, ctx) => {
        const sizes: string[] = [];
        ctx.onResize?.((s) => sizes.push(`${s.cols}x${s.rows}`));
        for await (const chunk of ctx.stdin!) await ctx.emit(chunk.toString().toUpperCase());
        return { sizes };
      },
    },
    // Like exec: subscribes to resizes only once "Docker" answered (here: after the first input chunk).
    'thing.late': {
      params: z.object({}).strict(), stream: 'required', mutates: false,
      run: async (_p, ctx) => {
        const sizes: string[] = [];
        const input = ctx.stdin![Symbol.asyncIterator]();
        await input.next();
        ctx.onResize?.((s) => sizes.push(`${s.cols}x${s.rows}`));
        await ctx.emit('subscribed');
        while (!(await input.next()).done) { /* drain */ }
        return { sizes };
      },
    },
    'thing.wait': {
      params: z.object({}).strict(), stream: 'none', mutates: false,
      run: (_p, ctx) => new Promise((_r, reject) => {
        ctx.signal.addEventListener('abort', () => reject(new Error('stopped')));
        waitStarted();
      }),
    },
  };
  let changes = 0;
  const registry = new HandlerRegistry({ log: quiet, docker: null }).registerAll(operationHandlers(ops, { onMutation: () => () => changes++ }));
  return { registry, release, making, waiting, runs: () => runs, changes: () => changes, sawAbort: () => sawAbort, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('params are the operation\'s plus operationId; a retry with the same id returns the recorded result', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const { ctl } = connect(f.registry);
  const first = await ctl.call('thing.make', { name: 'a', operationId: 'op-1' });
  assert.deepEqual(first, { made: 'a', run: 1 });
  assert.deepEqual(await ctl.call('thing.make', { name: 'a', operationId: 'op-1' }), first);
  assert.deepEqual(await ctl.call('thing.make', { name: 'b' }), { made: 'b', run: 2 }, 'no id: runs every time');
  assert.equal(f.changes(), 3);
  await assert.rejects(ctl.call('thing.make', { name: '' }), (e: RpcError) => e.code === 'invalid_params' && /^thing\.make: name: /.test(e.message));
  await assert.rejects(ctl.call('thing.make', { name: 'a', extra: 1 }), (e: RpcError) => e.code === 'invalid_params' && /extra/.test(e.message));
  await assert.rejects(ctl.call('thing.make', { name: 'a', operationId: '../etc' }), (e: RpcError) => e.code === 'invalid_params' && /operationId/.test(e.message));
  assert.equal(f.runs(), 2);
});

test('a UserError reaches the caller as operation_failed with its details, and is recorded for the retry', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const { ctl } = connect(f.registry);
  for (let i = 0; i < 2; i++) {
    await assert.rejects(ctl.call('thing.fail', { operationId: 'op-f' }), (e: RpcError) => {
      assert.equal(e.code, OPERATION_FAILED);
      assert.equal(e.message, 'thing did not work');
      assert.deepEqual(e.details, { details: ['last log line'], exitCode: 2 });
      return true;
    });
  }
});

test('streams: progress goes to the caller\'s stream, stdin and resizes reach exec-like operations', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const { ctl } = connect(f.registry);
  const made = ctl.open('thing.make', { name: 'x', operationId: 'op-s' });
  made.stream.end();
  const [out, result] = await Promise.all([made.stream.readAll(), made.result]);
  assert.equal(out.toString(), 'making x\n');
  assert.deepEqual(result, { made: 'x', run: 1 });

  const exec = ctl.open('thing.exec', {});
  exec.stream.resize(120, 40);
  await exec.stream.write('hello ');
  await exec.stream.write('world');
  exec.stream.end();
  const [echo, r] = await Promise.all([exec.stream.readAll(), exec.result]);
  assert.equal(echo.toString(), 'HELLO WORLD');
  assert.deepEqual(r, { sizes: ['120x40'] });
  await assert.rejects(ctl.call('thing.exec', {}), (e: RpcError) => e.code === 'invalid_params' && /must be called with a stream/.test(e.message));
});

test('a resize sent before the operation subscribes is not lost: the latest size is replayed, later ones follow', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const { ctl } = connect(f.registry);
  const exec = ctl.open('thing.late', {});
  exec.stream.resize(80, 24);
  exec.stream.resize(100, 30);
  await exec.stream.write('go');
  const out = exec.stream[Symbol.asyncIterator]();
  assert.equal(String((await out.next()).value), 'subscribed');
  exec.stream.resize(132, 43);
  exec.stream.end();
  assert.deepEqual(await exec.result, { sizes: ['100x30', '132x43'] });
});

test('a disconnect does not stop a mutating operation: the retry on the next connection gets its result', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const first = connect(f.registry);
  const pending = first.ctl.call('thing.make', { name: 'slow', slow: true, operationId: 'op-d' });
  await f.making;
  first.agent.close('connection closed (1006)');
  first.ctl.close('connection closed (1006)');
  await assert.rejects(pending, (e: RpcError) => e.code === 'disconnected');
  const second = connect(f.registry);
  const retry = second.ctl.call('thing.make', { name: 'slow', slow: true, operationId: 'op-d' });
  f.release();
  assert.deepEqual(await retry, { made: 'slow', run: 1 });
  assert.equal(f.runs(), 1);
  assert.equal(f.sawAbort(), false);
});

test('cancel stops a read-only operation', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const { ctl } = connect(f.registry);
  const ac = new AbortController();
  const p = ctl.call('thing.wait', {}, { signal: ac.signal });
  await f.waiting;
  ac.abort();
  await assert.rejects(p, (e: RpcError) => e.code === 'cancelled');
  await assert.rejects(ctl.call('thing.wait', {}, { timeoutMs: 50 }), (e: RpcError) => e.code === 'deadline_exceeded');
});
