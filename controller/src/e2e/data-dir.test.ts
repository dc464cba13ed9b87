import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROLLER_MAIN, Proc, removeDir, startController, tempDir } from './harness.js';

const serveArgs = (dataDir: string) => ['controller', 'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir];

/** Whether a starting controller came up or gave up. */
async function outcome(proc: Proc): Promise<'listening' | 'exited'> {
  return Promise.race([
    proc.waitFor(/listening on/, 20_000).then(() => 'listening' as const, () => 'exited' as const),
    proc.exited.then(() => 'exited' as const),
  ]);
}

describe('one controller per data dir', () => {
  let dir: string;
  before(() => { dir = tempDir('e2e-datadir'); });
  after(() => removeDir(dir));

  test('a second controller on a data dir in use refuses to start and says who holds it; a killed one leaves no stale lock', async () => {
    const dataDir = join(dir, 'shared');
    const first = await startController(dataDir);
    try {
      const second = new Proc(spawn(process.execPath, [CONTROLLER_MAIN, ...serveArgs(dataDir)], { stdio: ['ignore', 'pipe', 'pipe'] }));
      const started = await outcome(second);
      await second.stop();
      assert.equal(started, 'exited', second.all);
      assert.notEqual(second.child.exitCode, 0);
      assert.match(second.err, new RegExp(`data dir ${dataDir} is in use by another controller \\(pid ${first.proc.child.pid} on [^,]+, started at \\d{4}-`));
      assert.equal(first.proc.child.exitCode, null);
    } finally {
      await first.proc.stop('SIGKILL');
    }
    const third = await startController(dataDir);
    assert.equal(third.fingerprint, first.fingerprint);
    await third.proc.stop();
  });

  test('two first starts at once: one controller, one identity', async () => {
    const dataDir = join(dir, 'fresh');
    const procs = [0, 1].map(() => new Proc(spawn(process.execPath, [CONTROLLER_MAIN, ...serveArgs(dataDir)], { stdio: ['ignore', 'pipe', 'pipe'] })));
    try {
      const outcomes = await Promise.all(procs.map(outcome));
      assert.deepEqual([...outcomes].sort(), ['exited', 'listening'], procs.map((p) => p.all).join('\n---\n'));
      const loser = procs[outcomes.indexOf('exited')]!;
      assert.match(loser.err, /is in use by another controller/);
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
  });

  test('the data dir, the database and its WAL are private to the controller', async () => {
    const dataDir = join(dir, 'modes');
    const ctl = await startController(dataDir);
    try {
      assert.equal(statSync(dataDir).mode & 0o777, 0o700);
      for (const file of ['controller.db', 'controller.db-wal', 'controller.db-shm', 'controller.lock']) {
        assert.equal(statSync(join(dataDir, file)).mode & 0o777, 0o600, file);
      }
    } finally {
      await ctl.proc.stop();
    }
  });
});
