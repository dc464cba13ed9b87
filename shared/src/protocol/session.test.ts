import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcSession, type Handler } from './session.js';
import { SessionMessage, Hello } from './messages.js';
import { SESSION_TYPES, decodeFrame } from './decode.js';
import { RpcError } from './rpc-error.js';
import { INITIAL_STREAM_WINDOW } from './limits.js';

/** Waits for a condition, polling (bounded: the test fails with `what` after two seconds). */
async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 2_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not met in time: ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Two sessions wired back to back through the real decoder, delivering asynchronously like a socket. */
function pair(handlers: Record<string, Handler>) {
  const frames: string[] = [];
  let a!: RpcSession;
  let b!: RpcSession;
  const deliver = (to: () => RpcSession) => (frame: string) => {
    frames.push(frame);
    setImmediate(() => {
      const d = decodeFrame(frame, SessionMessage, SESSION_TYPES);
      assert.ok(d.ok, frame);
      if (d.ok) to().handle(d.msg);
    });
  };
  a = new RpcSession({ idPrefix: 'c', send: deliver(() => b) });
  b = new RpcSession({ idPrefix: 'a', send: deliver(() => a), handler: (m) => handlers[m] });
  return { a, b, frames };
}

test('call resolves with the result; handler errors keep their code', async () => {
  const { a } = pair({ add: async (p) => (p as { x: number }).x + 1, fail: async () => { throw new RpcError('nope', 'no way'); } });
  assert.equal(await a.call('add', { x: 1 }), 2);
  await assert.rejects(a.call('fail'), (e: unknown) => e instanceof RpcError && e.code === 'nope');
  await assert.rejects(a.call('missing'), (e: unknown) => e instanceof RpcError && e.code === 'unknown_method');
});

test('deadline aborts the handler and fails the caller; cancel propagates', async () => {
  let aborted = 0;
  const wait: Handler = (_p, ctx) => new Promise((_r, rej) => ctx.signal.addEventListener('abort', () => { aborted++; rej(ctx.signal.reason); }));
  const { a } = pair({ wait });
  await assert.rejects(a.call('wait', undefined, { timeoutMs: 50 }), (e: unknown) => e instanceof RpcError && e.code === 'deadline_exceeded');
  const ac = new AbortController();
  const p = a.call('wait', undefined, { signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  await assert.rejects(p, (e: unknown) => e instanceof RpcError && e.code === 'cancelled');
  await until(() => aborted === 2, 'both handlers saw the abort');
});

test('streams respect credit: a sender never has more than the window unacknowledged', async () => {
  const total = INITIAL_STREAM_WINDOW * 3 + 5;
  const { a, frames } = pair({
    gen: async (_p, ctx) => { for (let s = 0; s < total; s += 100_000) await ctx.stream!.write(Buffer.alloc(Math.min(100_000, total - s))); return 'done'; },
  });
  const { stream, result } = a.open('gen');
  let got = 0;
  for await (const c of stream) { got += (c as Buffer).length; await new Promise((r) => setImmediate(r)); }
  assert.equal(await result, 'done');
  assert.equal(got, total);
  let outstanding = 0;
  let max = 0;
  for (const f of frames) {
    const m = JSON.parse(f);
    if (m.t === 'data') outstanding += Buffer.from(m.chunk, m.enc).length;
    if (m.t === 'credit') outstanding -= m.bytes;
    max = Math.max(max, outstanding);
  }
  assert.ok(max <= INITIAL_STREAM_WINDOW, `max outstanding ${max}`);
  assert.ok(frames.some((f) => JSON.parse(f).t === 'credit'));
});

test('a sender that overruns its credit is cut off', async () => {
  const sent: string[] = [];
  // The handler never reads, so no credit is returned.
  const s = new RpcSession({ idPrefix: 'a', send: (f) => sent.push(f), handler: () => (_p, ctx) => new Promise((r) => ctx.signal.addEventListener('abort', r)) });
  s.handle({ t: 'req', id: 'c1', method: 'x', deadline: Date.now() + 200, stream: true });
  const big = Buffer.alloc(200 * 1024).toString('base64');
  for (let i = 0; i < 6; i++) s.handle({ t: 'data', id: 'c1', enc: 'base64', chunk: big });
  await until(() => sent.some((f) => JSON.parse(f).code === 'stream_violation'), `a stream_violation among ${sent.length} frames`);
});

test('close fails every pending call with disconnected', async () => {
  const { a } = pair({ hang: () => new Promise(() => {}) });
  const p = a.call('hang', undefined, { timeoutMs: 100 });
  a.close('gone');
  await assert.rejects(p, (e: unknown) => e instanceof RpcError && e.code === 'disconnected');
  await assert.rejects(a.call('hang'), /gone/);
});

test('decodeFrame classifies bad input without throwing', () => {
  assert.equal(decodeFrame('{', Hello).ok, false);
  const r = decodeFrame('{"t":"zzz"}', SessionMessage, SESSION_TYPES);
  assert.ok(!r.ok && r.code === 'unknown_type');
  const s = decodeFrame('{"t":"req","id":"a"}', SessionMessage, SESSION_TYPES);
  assert.ok(!s.ok && s.code === 'schema');
  assert.ok(!decodeFrame(42 as unknown, Hello).ok);
  assert.ok(decodeFrame('{"t":"hello","v":1,"agentId":"x","agentVersion":"1"}', Hello).ok);
});
