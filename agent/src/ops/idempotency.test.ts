import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@drover/shared';
import { RpcError } from '@drover/shared/protocol';
import type { AgentLogger } from '../log.js';
import { writePrivateFile } from '../state/secure-file.js';
import { IdempotencyStore, type JournalOptions } from './idempotency.js';
import { rerunAfterInterruption } from './index.js';

function recordingLog(): AgentLogger & { lines: string[] } {
  const lines: string[] = [];
  const add = (m: string, f?: Record<string, unknown>) => { lines.push(`${m} ${JSON.stringify(f ?? {})}`); };
  return { lines, info: add, warn: add, error: add };
}

function journalDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-idem-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const storeIn = (dir: string, opts: Partial<JournalOptions> = {}) => new IdempotencyStore(dir, { log: recordingLog(), rerunAfterInterruption, ...opts });
const P = { service: 'app', version: 'v1' };

test('an operation id runs once: concurrent and later retries get the recorded outcome, also after a restart', async (t) => {
  const dir = journalDir(t);
  let runs = 0;
  const store = storeIn(dir);
  const work = async () => { runs++; await new Promise((r) => setImmediate(r)); return { n: runs }; };
  const [a, b] = await Promise.all([store.run('op-1', 'app.boot', P, work), store.run('op-1', 'app.boot', P, work)]);
  assert.deepEqual([a, b, runs], [{ n: 1 }, { n: 1 }, 1]);
  assert.deepEqual(await storeIn(dir).run('op-1', 'app.boot', P, work), { n: 1 });
  assert.equal(runs, 1);
  await assert.rejects(store.run('op-1', 'app.stop', P, work), /operation op-1 was already used for app\.boot, not app\.stop/);
  await assert.rejects(store.run('op-1', 'app.boot', { ...P, version: 'v2' }, work), /operation op-1 was already used for app\.boot with other params/);

  await assert.rejects(store.run('op-2', 'app.boot', P, async () => { throw new UserError('boom', { details: ['d'] }); }), { message: 'boom' });
  await assert.rejects(storeIn(dir).run('op-2', 'app.boot', P, work), (e: UserError) => e.message === 'boom' && e.details[0] === 'd');
  await assert.rejects(store.run('../etc/passwd', 'app.boot', P, work), /is not valid/);
});

test('the intent is journaled before the operation runs', async (t) => {
  const dir = journalDir(t);
  let seen: unknown = null;
  await storeIn(dir).run('op-1', 'app.stop', P, async () => {
    seen = JSON.parse(readFileSync(join(dir, 'op-1.json'), 'utf8'));
    return {};
  });
  assert.equal((seen as { state: string }).state, 'started');
  assert.equal((seen as { method: string }).method, 'app.stop');
  assert.match((seen as { paramsDigest: string }).paramsDigest, /^sha256:[0-9a-f]{64}$/);
  assert.ok(!JSON.stringify(seen).includes('"version"'), 'params themselves (secrets among them) are not journaled');
  assert.deepEqual(readdirSync(dir), ['op-1.json'], 'no temp file is left behind');
});

test('an operation cut off by the agent stopping is recovered at start: boots answer interrupted, convergent ones run again', async (t) => {
  const dir = journalDir(t);
  const before = storeIn(dir);
  // The first agent process dies while both operations run (their promises never settle); an operation
  // begins once its intent is written (a boot's durably, which finishes later).
  let begun = 0;
  let bothBegun: () => void = () => undefined;
  const running = new Promise<void>((resolve) => { bothBegun = resolve; });
  const hang = () => { if (++begun === 2) bothBegun(); return new Promise<never>(() => undefined); };
  void before.run('boot-1', 'app.boot', P, hang);
  void before.run('stop-1', 'app.stop', P, hang);
  await running;

  const log = recordingLog();
  const after = storeIn(dir, { log });
  after.recover();
  assert.equal(log.lines.filter((l) => l.startsWith('operation interrupted by the agent stopping')).length, 2, log.lines.join('\n'));
  let reran = 0;
  await assert.rejects(after.run('boot-1', 'app.boot', P, async () => { reran++; return {}; }), (e: unknown) =>
    e instanceof RpcError && e.code === 'operation_interrupted' && /^app\.boot was interrupted: the agent stopped while it ran \(operation boot-1, started \d{4}-/.test(e.message));
  assert.equal(reran, 0, 'a boot is never re-run blind');
  assert.deepEqual(await after.run('stop-1', 'app.stop', P, async () => { reran++; return { stopped: true }; }), { stopped: true });
  assert.equal(reran, 1);
  // Recorded now: a further retry gets the outcome without running it a third time.
  assert.deepEqual(await storeIn(dir).run('stop-1', 'app.stop', P, async () => { reran++; return {}; }), { stopped: true });
  assert.equal(reran, 1);
});

test('a failure to record the outcome does not turn a succeeded operation into a failed one', async (t) => {
  const dir = journalDir(t);
  const log = recordingLog();
  let failFinished = true;
  const write = (path: string, data: string) => {
    if (failFinished && (JSON.parse(data) as { state: string }).state === 'finished') throw new Error('ENOSPC: no space left on device');
    writePrivateFile(path, data);
  };
  const store = storeIn(dir, { log, write });
  let runs = 0;
  assert.deepEqual(await store.run('op-1', 'app.start', P, async () => { runs++; return { containers: ['c'] }; }), { containers: ['c'] });
  assert.ok(log.lines.some((l) => l.startsWith('could not record an operation in the journal') && l.includes('ENOSPC')), log.lines.join('\n'));
  // A retry in this process still gets the outcome, without running it again.
  assert.deepEqual(await store.run('op-1', 'app.start', P, async () => { runs++; return {}; }), { containers: ['c'] });
  assert.equal(runs, 1);
  failFinished = false;
});

test('a journal that cannot take the intent refuses the operation before it changes anything', async (t) => {
  const dir = journalDir(t);
  const store = storeIn(dir, { write: () => { throw new Error('EROFS: read-only file system'); } });
  let runs = 0;
  await assert.rejects(store.run('op-1', 'app.stop', P, async () => { runs++; return {}; }), /app\.stop: cannot journal operation op-1 before running it, so nothing was changed: EROFS/);
  assert.equal(runs, 0);
});

test('records of agents before the journal still answer; torn temp files are cleaned at start', async (t) => {
  const dir = journalDir(t);
  writeFileSync(join(dir, 'old-1.json'), JSON.stringify({ method: 'app.stop', finishedAt: '2026-01-01T00:00:00Z', outcome: { ok: true, result: { legacy: true } } }));
  writeFileSync(join(dir, 'x.json.123.tmp'), '{"half');
  const store = storeIn(dir);
  store.recover();
  assert.deepEqual(readdirSync(dir), ['old-1.json']);
  assert.deepEqual(await store.run('old-1', 'app.stop', P, async () => ({ legacy: false })), { legacy: true });
});

test('the intent of a boot is written durably and its outcome atomically; operations a retry runs again write both in place', async (t) => {
  const dir = journalDir(t);
  const writes: string[] = [];
  const store = storeIn(dir, { write: (path, data, mode) => { writes.push(`${(JSON.parse(data) as { state: string }).state} ${mode}`); writeFileSync(path, data); } });
  await store.run('op-boot', 'app.boot', P, async () => ({}));
  await store.run('op-stop', 'app.stop', P, async () => ({}));
  // The proxy's boot starts or creates it only when it is not running: run again, it converges.
  await store.run('op-proxy', 'proxy.boot', P, async () => ({}));
  assert.deepEqual(writes, ['started durable', 'finished atomic', 'started in-place', 'finished in-place', 'started in-place', 'finished in-place']);
  // Either way the record answers a retry.
  assert.deepEqual(await storeIn(dir).run('op-stop', 'app.stop', P, async () => ({ again: true })), {});
});

test('a power cut that takes a boot\'s outcome leaves its intent: the retry is answered interrupted, the boot never runs twice', async (t) => {
  const dir = journalDir(t);
  // What survives a power cut: only what was written durably.
  const store = storeIn(dir, { write: (path, data, mode) => { if (mode === 'durable') writeFileSync(path, data); } });
  await store.run('boot-2', 'app.boot', P, async () => ({ booted: true }));
  const after = storeIn(dir);
  after.recover();
  let ran = false;
  await assert.rejects(after.run('boot-2', 'app.boot', P, async () => { ran = true; return {}; }), (e: unknown) => e instanceof RpcError && e.code === 'operation_interrupted');
  assert.equal(ran, false);
});

test('the journal makes its directory once, and again when something removed it', async (t) => {
  const root = journalDir(t);
  const dir = join(root, 'drover-agent', 'operations');
  const store = storeIn(dir);
  assert.deepEqual(await store.run('op-1', 'app.stop', P, async () => ({ n: 1 })), { n: 1 });
  rmSync(join(root, 'drover-agent'), { recursive: true, force: true });
  assert.deepEqual(await store.run('op-2', 'app.stop', P, async () => ({ n: 2 })), { n: 2 });
  assert.deepEqual(readdirSync(dir), ['op-2.json']);
  assert.deepEqual(await storeIn(dir).run('op-2', 'app.stop', P, async () => ({ n: 3 })), { n: 2 });
});

test('the default writer: durable, atomic and in-place records all end as 0600 files, with no temp file left', async (t) => {
  const dir = journalDir(t);
  const store = storeIn(dir);
  await store.run('boot-1', 'app.boot', P, async () => ({ booted: true }));
  await store.run('stop-1', 'app.stop', P, async () => ({ stopped: true }));
  assert.deepEqual(readdirSync(dir).sort(), ['boot-1.json', 'stop-1.json']);
  for (const f of readdirSync(dir)) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
  assert.equal((JSON.parse(readFileSync(join(dir, 'stop-1.json'), 'utf8')) as { state: string }).state, 'finished');
  assert.deepEqual(await storeIn(dir).run('boot-1', 'app.boot', P, async () => ({ booted: false })), { booted: true });
});

test('an operation that reads before its intent runs beside the durable write, and its change waits for it', async (t) => {
  const dir = journalDir(t);
  let finishWrite: () => void = () => undefined;
  const written = new Promise<void>((resolve) => { finishWrite = resolve; });
  const store = storeIn(dir, {
    readsBeforeIntent: (method) => method === 'app.boot',
    write: (path, data, mode) => (mode === 'durable' ? written.then(() => writeFileSync(path, data)) : writeFileSync(path, data)),
  });
  const steps: string[] = [];
  const boot = store.run('boot-1', 'app.boot', P, async (intentDurable) => {
    steps.push('read');
    await intentDurable;
    steps.push('change');
    return {};
  });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(steps, ['read'], 'it started before the intent was on disk, and waits to change anything');
  finishWrite();
  await boot;
  assert.deepEqual(steps, ['read', 'change']);
  // Any other operation starts only once its intent is written.
  const others: string[] = [];
  await store.run('stop-1', 'app.stop', P, async (intentDurable) => { others.push(await intentDurable.then(() => 'written')); return {}; });
  assert.deepEqual(others, ['written']);
});

test('a durable intent that fails: the operation reading before it changes nothing, nothing is recorded, a retry runs it', async (t) => {
  const dir = journalDir(t);
  let fail = true;
  const store = storeIn(dir, {
    readsBeforeIntent: () => true,
    write: (path, data, mode) => (mode === 'durable' && fail ? Promise.reject(new Error('EIO: i/o error, fsync')) : writeFileSync(path, data)),
  });
  let changed = 0;
  const boot = (intentDurable: Promise<void>) => intentDurable.then(() => { changed++; return { changed }; });
  await assert.rejects(store.run('boot-1', 'app.boot', P, boot), /app\.boot: cannot journal operation boot-1 before running it, so nothing was changed: EIO/);
  assert.equal(changed, 0);
  assert.deepEqual(readdirSync(dir), []);
  fail = false;
  assert.deepEqual(await store.run('boot-1', 'app.boot', P, boot), { changed: 1 });
});
