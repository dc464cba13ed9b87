import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { request } from 'undici';
import WebSocket from 'ws';
import { connectPinned } from '@drover/shared/protocol';
import { UserError } from '@drover/shared';
import type { OperatorClient } from '../client/operator-client.js';
import { pinnedDispatcher } from './undici-pinned.js';
import { adminClient, enrollAgent, eventually, removeDir, startAgent, startController, tempDir, type ControllerProc, type Proc } from './harness.js';
import { enrollRaw, type RawIdentity } from './raw-agent.js';
import { FakeOpsAgent, type FakeCall } from './fake-ops-agent.js';

// The operator transport for Kamal's read commands, `logs -f` and `exec -i`, against a real controller
// process: per-operation scopes on /rpc, followed output (NDJSON, flow controlled, cancelled when the
// client leaves) and the attach websocket (input, output, resize, exit code). The agent is a protocol-level
// fake that records every frame; a real agent process (no Docker) checks the same plumbing end to end.

/** Collects what a Writable receives. */
function sink(): { stream: Writable; text: () => string } {
  const parts: Buffer[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { parts.push(chunk); cb(); } });
  return { stream, text: () => Buffer.concat(parts).toString() };
}

/** The first call of `method` after the first `skip` calls that satisfies `pred`. */
const callOf = (agent: FakeOpsAgent, method: string, skip: number, pred: (c: FakeCall) => boolean): FakeCall | undefined =>
  agent.calls.slice(skip).find((c) => c.method === method && pred(c));

const rejectsWith = (exitCode: number, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof UserError, String(err));
  assert.match(err.message, message);
  assert.equal(err.exitCode, exitCode);
  return true;
};

describe('operator transport: scopes, followed calls, attached exec', () => {
  let dir: string;
  let ctl: ControllerProc;
  let admin: OperatorClient;
  let deployer: OperatorClient;
  let deployToken: string;
  let reader: OperatorClient;
  let readToken: string;
  let agent: FakeOpsAgent;
  let realAgent: Proc | null = null;

  before(async () => {
    dir = tempDir('ops-transport');
    ctl = await startController(join(dir, 'ctl'));
    ({ client: admin } = await adminClient(ctl, 'admin'));
    ({ client: deployer, token: deployToken } = await adminClient(ctl, 'deploy'));
    ({ client: reader, token: readToken } = await adminClient(ctl, 'read'));
    const e = await enrollRaw(ctl.url, ctl.fingerprint, (await admin.mintJoinToken({ name: 'web-1' })).token);
    agent = new FakeOpsAgent();
    await agent.connect(ctl, e.identity!);
  });
  after(async () => {
    await realAgent?.stop();
    agent?.conn.close();
    await Promise.all([admin?.close(), deployer?.close(), reader?.close()]);
    await ctl?.proc.stop();
    if (dir) removeDir(dir);
  });

  test('/rpc takes its scope from the operation catalog: read ops for read tokens, exec and changes for deploy, the rest for admin', async () => {
    agent.onRequest = (c) => agent.answer(c, c.method === 'app.exec' ? { exitCode: 0, container: 'shop-web-exec' } : { containers: [] });
    assert.deepEqual(await reader.rpc('web-1', 'containers.list', { service: 'shop' }), { containers: [] });
    const before = agent.calls.length;
    await assert.rejects(reader.rpc('web-1', 'app.stop', { service: 'shop', role: 'web' }), rejectsWith(77, /^controller: this token has scope read; deploy is required$/));
    await assert.rejects(reader.rpc('web-1', 'agent.ping'), rejectsWith(77, /this token has scope read; admin is required/));
    await assert.rejects(reader.rpcStream('web-1', 'app.exec', { command: ['true'] }, Buffer.alloc(0)), rejectsWith(77, /deploy is required/));
    await assert.rejects(deployer.rpc('web-1', 'agent.ping'), rejectsWith(77, /this token has scope deploy; admin is required/));
    const stale = { service: 'shop', destination: null, performer: 'ci', role: 'web', latestImage: 'shop:latest' };
    await assert.rejects(reader.rpc('web-1', 'app.stale_containers', { ...stale, stop: true }), rejectsWith(77, /scope read; deploy is required/));
    assert.equal(agent.calls.length, before, 'refused calls never reach the agent');
    // `app stale_containers` without --stop only looks: a read token may.
    assert.deepEqual(await reader.rpc('web-1', 'app.stale_containers', { ...stale, stop: false }), { containers: [] });
    // The same 403 shape as the route-level scope hook.
    const d = pinnedDispatcher(ctl.fingerprint);
    try {
      const res = await request(`${ctl.url}/v1/agents/web-1/rpc`, {
        method: 'POST', dispatcher: d, headers: { authorization: `Bearer ${readToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ method: 'prune.images', params: {} }),
      });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(await res.body.json(), { error: { code: 'forbidden', message: 'this token has scope read; deploy is required' } });
    } finally {
      await d.close();
    }
    const exec = await deployer.rpcStream('web-1', 'app.exec', { command: ['true'] }, Buffer.alloc(0));
    assert.deepEqual(exec.result, { exitCode: 0, container: 'shop-web-exec' });
    assert.deepEqual(await deployer.rpc('web-1', 'app.stop', {}), { containers: [] });
    assert.deepEqual(await admin.rpc('web-1', 'agent.ping'), { containers: [] });
  });

  test('a followed call streams output before the operation ends; leaving cancels it on the agent', async () => {
    agent.onRequest = (c) => void agent.write(c, 'line 1\n');
    const got: string[] = [];
    const leave = new AbortController();
    const following = reader.rpcFollow('web-1', 'containers.logs', { container: 'shop-web-v1', follow: true }, { onOutput: (b) => { got.push(b.toString()); }, signal: leave.signal });
    following.catch(() => undefined);
    await eventually(() => got.join('') === 'line 1\n', 10_000, 'the first line');
    const call = agent.last('containers.logs')!;
    assert.equal(call.stream, true);
    assert.deepEqual(call.params, { container: 'shop-web-v1', follow: true });
    assert.equal(call.done, false, 'the operation is still running');
    assert.ok(call.deadline > Date.now() + 7 * 24 * 3600_000, 'a follow has no 30 s deadline');
    await agent.write(call, 'line 2\n');
    await eventually(() => got.join('') === 'line 1\nline 2\n', 10_000, 'the second line');
    leave.abort();
    await assert.rejects(following, (err: Error) => err.name === 'AbortError');
    await eventually(() => call.cancelled, 10_000, 'the agent to see the cancel');
  });

  test('a followed call ends with its result, or with the agent\'s error in-band or as HTTP', async () => {
    agent.onRequest = (c) => void agent.write(c, 'a\nb\n').then(() => agent.answer(c, { container: 'shop-web-v1', lines: 2 }));
    let out = '';
    const result = await reader.rpcFollow('web-1', 'containers.logs', { container: 'shop-web-v1' }, { onOutput: (b) => { out += b.toString(); } });
    assert.deepEqual([out, result], ['a\nb\n', { container: 'shop-web-v1', lines: 2 }]);

    const failure = { code: 'operation_failed', message: 'no shop-web container on this host', details: { details: ['hint'], exitCode: 4 } };
    agent.onRequest = (c) => void agent.write(c, 'partial\n').then(() => agent.fail(c, failure));
    out = '';
    await assert.rejects(reader.rpcFollow('web-1', 'containers.logs', {}, { onOutput: (b) => { out += b.toString(); } }), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.deepEqual([err.message, err.details, err.exitCode], ['controller: no shop-web container on this host', ['hint'], 4]);
      return true;
    });
    assert.equal(out, 'partial\n');
    agent.onRequest = (c) => agent.fail(c, failure); // before any output: the ordinary HTTP error
    await assert.rejects(reader.rpcFollow('web-1', 'containers.logs', {}, { onOutput: () => undefined }), rejectsWith(4, /no shop-web container/));
    await assert.rejects(reader.rpcFollow('nope', 'containers.logs', {}, { onOutput: () => undefined }), rejectsWith(1, /no enrolled agent named nope/));
  });

  test('a followed call never reads ahead of its client: a stalled reader stops the agent (credit), then everything arrives', async () => {
    const total = 32 * 1024 * 1024;
    agent.onRequest = (c) => void agent.write(c, Buffer.alloc(total, 0x61)).then((ok) => ok && agent.answer(c, { container: 'big', lines: 0 }));
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let received = 0;
    const following = reader.rpcFollow('web-1', 'containers.logs', { follow: true }, {
      onOutput: async (b) => { received += b.length; await held; },
    });
    const skip = agent.calls.length;
    // Blocked for good: waiting for credit, and no byte sent for a second (the buffers between are full).
    let seen = { sent: -1, at: Date.now() };
    const call = await eventually(() => callOf(agent, 'containers.logs', skip, (c) => {
      if (c.sent !== seen.sent) seen = { sent: c.sent, at: Date.now() };
      return c.blocked && Date.now() - seen.at >= 1000;
    }), 30_000, 'the agent to run out of credit');
    // The stream's 1 MiB window plus what the sockets between hold (a few MiB), not the whole output.
    assert.ok(call.sent < 12 * 1024 * 1024, `the agent could send ${call.sent} bytes while the client read nothing`);
    assert.ok(received <= 256 * 1024);
    release();
    assert.deepEqual(await following, { container: 'big', lines: 0 });
    assert.equal(received, total);
  });

  async function attachFake(client: OperatorClient, params: Record<string, unknown>, signal?: AbortSignal) {
    const input = new PassThrough();
    const out = sink();
    let resize!: (size: { cols: number; rows: number }) => void;
    const exit = client.attachExec('web-1', 'app.exec', params, { input, output: out.stream, size: { cols: 80, rows: 24 }, onResize: (send) => { resize = send; }, signal });
    exit.catch(() => undefined);
    return { input, out, exit, resize: (cols: number, rows: number) => resize({ cols, rows }) };
  }

  test('attach: input, output and resizes reach the exec; its exit code comes back', async () => {
    agent.onRequest = (c: FakeCall) => {
      c.inputListener = (chunk) => {
        if (chunk.toString() === 'exit\r') agent.answer(c, { exitCode: 3, container: 'shop-web-exec-v1-abc' });
        else void agent.write(c, chunk.toString().toUpperCase());
      };
    };
    const params = { service: 'shop', role: 'web', version: 'v1', image: 'acme/shop:v1', command: ['sh'], interactive: true, tty: true };
    const skip = agent.calls.length;
    const s = await attachFake(deployer, params);
    const call = await eventually(() => callOf(agent, 'app.exec', skip, (c) => c.controls.length > 0), 10_000, 'the exec call');
    assert.deepEqual(call.params, params);
    assert.deepEqual(call.controls, [{ resize: { cols: 80, rows: 24 } }], 'the initial size before any input');
    s.input.write('hello');
    await eventually(() => s.out.text() === 'HELLO', 10_000, 'echoed output');
    s.resize(132, 43);
    await eventually(() => call.controls.length === 2, 10_000, 'the resize');
    assert.deepEqual(call.controls[1], { resize: { cols: 132, rows: 43 } });
    s.input.write('exit\r');
    assert.equal(await s.exit, 3);
    assert.equal(call.cancelled, false);
  });

  test('attach: leaving cancels the exec; a failure and refusals come back as errors', async () => {
    agent.onRequest = () => undefined; // runs until cancelled
    const leave = new AbortController();
    const skip = agent.calls.length;
    const s = await attachFake(deployer, { command: ['sleep', '1000'] }, leave.signal);
    const call = await eventually(() => callOf(agent, 'app.exec', skip, (c) => c.controls.length > 0), 10_000, 'the exec call');
    leave.abort();
    await assert.rejects(s.exit, (err: Error) => err.name === 'AbortError');
    await eventually(() => call.cancelled, 10_000, 'the agent to see the cancel');

    agent.onRequest = (c) => agent.fail(c, { code: 'operation_failed', message: 'docker exec failed on web-1: No such container', details: { details: [], exitCode: 125 } });
    await assert.rejects((await attachFake(deployer, {})).exit, rejectsWith(125, /^controller: docker exec failed on web-1: No such container$/));
    const calls = agent.calls.length;
    await assert.rejects((await attachFake(reader, {})).exit, rejectsWith(77, /^controller: this token has scope read; deploy is required$/));
    await assert.rejects(deployer.attachExec('web-1', 'agent.ping', {}, { output: sink().stream }), rejectsWith(77, /this token has scope deploy; admin is required/));
    await assert.rejects(deployer.attachExec('nope', 'app.exec', {}, { output: sink().stream }), rejectsWith(1, /no enrolled agent named nope/));
    assert.equal(agent.calls.length, calls, 'refused sessions never reach the agent');
  });

  test('a quiet follow lives on keepalives (past the client\'s idle limit); a dead agent ends it', async () => {
    agent.onRequest = () => undefined;
    const skip = agent.calls.length;
    // Raw: the NDJSON lines themselves. The controller runs with a 1 s heartbeat, which is the keepalive period.
    const d = pinnedDispatcher(ctl.fingerprint);
    const raw = await request(`${ctl.url}/v1/agents/web-1/rpc`, {
      method: 'POST', dispatcher: d, headers: { authorization: `Bearer ${readToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'proxy.logs', params: { follow: true }, stream: { follow: true } }),
    });
    assert.equal(raw.statusCode, 200);
    assert.equal(raw.headers['content-type'], 'application/x-ndjson');
    assert.equal(raw.headers['x-drover-keepalive-ms'], '1000');
    const client = reader.rpcFollow('web-1', 'proxy.logs', { follow: true }, { onOutput: () => undefined });
    const lines: string[] = [];
    let text = '';
    for await (const chunk of raw.body) {
      text += chunk.toString();
      lines.push(...text.split('\n').slice(0, -1));
      text = text.split('\n').at(-1)!;
      if (lines.length >= 5) break; // the client started at the first: 4 s of silence, past its 3 s idle limit
    }
    assert.deepEqual(lines.slice(0, 5).map((l) => JSON.parse(l)), Array(5).fill({ t: 'keepalive' }));
    await d.close();
    const calls = agent.calls.slice(skip).filter((c) => c.method === 'proxy.logs');
    assert.equal(calls.length, 2);
    await eventually(() => calls[0]!.cancelled, 10_000, 'the raw follower\'s call to be cancelled');
    agent.answer(calls[1]!, { container: 'kamal-proxy', lines: 0 });
    assert.deepEqual(await client, { container: 'kamal-proxy', lines: 0 });

    // An agent that stops answering pings is dropped by the heartbeat; its followers get the error.
    const e = await enrollRaw(ctl.url, ctl.fingerprint, (await admin.mintJoinToken({ name: 'web-2' })).token);
    const dying = new FakeOpsAgent();
    await dying.connect(ctl, e.identity as RawIdentity);
    dying.onRequest = (c) => void dying.write(c, 'last words\n').then(() => dying.conn.ws.pause());
    let out = '';
    await assert.rejects(reader.rpcFollow('web-2', 'containers.logs', { follow: true }, { onOutput: (b) => { out += b.toString(); } }), rejectsWith(1, /connection closed/));
    assert.equal(out, 'last words\n');
    dying.conn.close();
  });

  test('an attached operator that stops answering pings is dropped and its exec cancelled', async () => {
    agent.onRequest = () => undefined;
    const skip = agent.calls.length;
    const url = new URL('/v1/agents/web-1/attach', ctl.url.replace(/^http/, 'ws'));
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${deployToken}` },
      createConnection: ((o: { host?: string; port?: number }) => connectPinned({ host: String(o.host), port: Number(o.port) }, ctl.fingerprint, () => {})) as never,
    });
    ws.on('error', () => undefined);
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ method: 'app.exec', params: { command: ['sh'], interactive: true, tty: true } }));
    const call = await eventually(() => callOf(agent, 'app.exec', skip, () => true), 10_000, 'the exec call');
    ws.pause(); // reads nothing more: no pong
    await eventually(() => call.cancelled, 10_000, 'the exec to be cancelled');
    ws.terminate();
  });

  test('a real agent process: attach relays input, resizes and eof; follow carries a large stream intact', async () => {
    const adir = join(dir, 'real');
    assert.equal((await enrollAgent(adir, (await admin.mintJoinToken({ name: 'real-1' })).token)).code, 0);
    realAgent = startAgent(adir);
    await eventually(async () => (await admin.listAgents()).find((a) => a.name === 'real-1' && a.online), 15_000, 'the real agent online');
    const input = new PassThrough();
    const out = sink();
    let resize!: (size: { cols: number; rows: number }) => void;
    let result: unknown;
    const exit = admin.attachExec('real-1', 'test.echo', {}, { input, output: out.stream, size: { cols: 100, rows: 30 }, onResize: (send) => { resize = send; }, onResult: (r) => { result = r; } });
    input.write('ping ');
    await eventually(() => out.text() === 'ping ', 10_000, 'the echo');
    resize({ cols: 120, rows: 40 });
    input.end('pong');
    assert.equal(await exit, 0);
    assert.equal(out.text(), 'ping pong');
    assert.deepEqual(result, { bytes: 9, notes: ['resize 100x30', 'resize 120x40'] });

    let bytes = 0;
    const r = await admin.rpcFollow('real-1', 'test.generate', { bytes: 5_000_000, chunkBytes: 65536 }, { onOutput: (b) => { bytes += b.length; } });
    assert.deepEqual([r, bytes], [{ bytes: 5_000_000 }, 5_000_000]);
  });
});
