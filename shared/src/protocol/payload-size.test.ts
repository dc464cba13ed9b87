import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcSession, type Handler } from './session.js';
import { SessionMessage } from './messages.js';
import { SESSION_TYPES, decodeFrame } from './decode.js';
import { RpcError } from './rpc-error.js';
import { MAX_FRAME_BYTES, MAX_RPC_PAYLOAD_BYTES } from './limits.js';

/**
 * Two sessions back to back, with the websocket's own rule: a frame over MAX_FRAME_BYTES closes the
 * connection (1009), failing every call in flight, as `ws` does with maxPayload.
 */
function pair(handlers: Record<string, Handler>) {
  const state = { closedBy: null as string | null, biggest: 0 };
  let a!: RpcSession;
  let b!: RpcSession;
  const deliver = (to: () => RpcSession) => (frame: string) => {
    const bytes = Buffer.byteLength(frame);
    state.biggest = Math.max(state.biggest, bytes);
    if (bytes > MAX_FRAME_BYTES) {
      state.closedBy ??= frame.slice(0, 80);
      setImmediate(() => { a.close('1009 too large'); b.close('1009 too large'); });
      return;
    }
    setImmediate(() => {
      const d = decodeFrame(frame, SessionMessage, SESSION_TYPES);
      assert.ok(d.ok, frame.slice(0, 200));
      if (d.ok) to().handle(d.msg);
    });
  };
  a = new RpcSession({ idPrefix: 'c', send: deliver(() => b) });
  b = new RpcSession({ idPrefix: 'a', send: deliver(() => a), handler: (m) => handlers[m] });
  return { a, b, state };
}

const text = (bytes: number) => 'x'.repeat(bytes);
const hang: Handler = (_p, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('aborted')));

test('params and results over one frame travel as a blob stream; the connection stays up', async () => {
  const size = 3 * MAX_FRAME_BYTES;
  const { a, b, state } = pair({
    length: async (p) => (p as { file: string }).file.length,
    big: async (p) => ({ page: text((p as { n: number }).n) }),
    hang,
  });
  const slow = a.call('hang', undefined, { timeoutMs: 5_000 });
  assert.equal(await a.call('length', { file: text(size) }), size);
  const got = await a.call('big', { n: size }) as { page: string };
  assert.equal(got.page.length, size);
  assert.equal(state.closedBy, null, `a frame over the limit was sent: ${state.closedBy}`);
  assert.ok(state.biggest <= MAX_FRAME_BYTES);
  assert.deepEqual(a.inflight, { outgoing: 1, incoming: 0 }, 'the other call is still in flight');
  a.close('done');
  b.close('done');
  await assert.rejects(slow, /done/);
});

test('a streaming call with large params keeps its stream: input written at once arrives after the request', async () => {
  const { a, state } = pair({
    echo: async (p, ctx) => {
      let n = 0;
      for await (const c of ctx.stream!) n += c.length;
      return { params: (p as { env: string }).env.length, input: n };
    },
  });
  const { stream, result } = a.open('echo', { env: text(2 * MAX_FRAME_BYTES) });
  await stream.write(Buffer.alloc(300_000));
  stream.end();
  assert.deepEqual(await result, { params: 2 * MAX_FRAME_BYTES, input: 300_000 });
  assert.equal(state.closedBy, null);
});

test('params or a result over the call limit fail that one call, naming the method and the size', async () => {
  const over = MAX_RPC_PAYLOAD_BYTES + 10;
  const { a, b, state } = pair({ big: async () => ({ out: text(over) }), ping: async () => 'pong', hang });
  const slow = a.call('hang', undefined, { timeoutMs: 5_000 });
  await assert.rejects(a.call('accessory.boot', { file: text(over) }), (e: unknown) =>
    e instanceof RpcError && e.code === 'too_large' && /^accessory\.boot: params of 16\.0 MiB \(\d+ bytes\) are over the 16\.0 MiB limit/.test(e.message));
  await assert.rejects(a.call('big'), (e: unknown) => e instanceof RpcError && e.code === 'too_large' && /^big: result of 16\.0 MiB \(\d+ bytes\)/.test(e.message));
  assert.equal(await a.call('ping'), 'pong');
  assert.equal(state.closedBy, null);
  a.close('done');
  b.close('done');
  await slow.catch(() => undefined);
});

test('an error whose details do not fit a frame still reaches the caller, without the details', async () => {
  const { a, state } = pair({ fail: async () => { throw new RpcError('operation_failed', 'boot failed', { details: [text(2 * MAX_FRAME_BYTES)] }); } });
  await assert.rejects(a.call('fail'), (e: unknown) => e instanceof RpcError && e.code === 'operation_failed' && /^boot failed \(details of .* left out/.test(e.message));
  assert.equal(state.closedBy, null);
});

test('a peer cannot park more blob bytes than the session budget', async () => {
  const { a } = pair({});
  // Uploads without a call to claim them: the third is over the budget of two full payloads.
  const upload = (n: number) => {
    const { stream, result } = a.open('rpc.blob');
    void stream.write(Buffer.alloc(n)).then(() => stream.end(), () => undefined);
    return result;
  };
  await upload(MAX_RPC_PAYLOAD_BYTES);
  await upload(MAX_RPC_PAYLOAD_BYTES);
  await assert.rejects(upload(1024 * 1024), (e: unknown) => e instanceof RpcError && e.code === 'busy');
  await assert.rejects(upload(MAX_RPC_PAYLOAD_BYTES + 1), (e: unknown) => e instanceof RpcError && (e.code === 'too_large' || e.code === 'busy'));
});
