import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from './sqlite-store.js';
import { MIGRATIONS } from './migrations.js';
import { hostLockKey, lockedHost, serviceKey, type LockRecord, type NewDeployment } from './deployment-store.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'drover-deploy-store-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withStoreAsync(fn: (s: SqliteStore, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-deploy-store-'));
  const s = new SqliteStore(dir);
  try {
    await fn(s, dir);
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function withStore(fn: (s: SqliteStore, dir: string) => void): void {
  withDir((dir) => {
    const s = new SqliteStore(dir);
    try {
      fn(s, dir);
    } finally {
      s.close();
    }
  });
}

const dep = (id: string, createdAt: number, over: Partial<NewDeployment> = {}): NewDeployment => ({
  id, service: 'app', destination: null, command: 'deploy', version: `v${createdAt}`, performer: 'ci', createdAt,
  snapshot: { files: { 'config/deploy.yml': 'service: app\n' }, options: { skipPush: false } }, ...over,
});

const lock = (key: string, over: Partial<LockRecord> = {}): LockRecord => ({
  key, holder: 'alice', message: 'Automatic deploy lock', version: 'v1', acquiredAt: 10, automatic: true, deploymentId: null, ...over,
});

test('schema is at the newest migration with the deployment tables', () => {
  withStore((s, dir) => {
    assert.equal(s.schemaVersion, MIGRATIONS.at(-1)!.version);
    const db = new Database(join(dir, 'controller.db'), { readonly: true });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deployments'").all() as { name: string }[]).map((r) => r.name);
    db.close();
    for (const t of ['deployments', 'deployment_events', 'deployment_steps', 'locks', 'service_secrets']) assert.ok(tables.includes(t), t);
    assert.ok(indexes.includes('deployments_service'));
  });
});

test('a database with only migration 1 applied is upgraded in place, keeping its data', () => {
  withDir((dir) => {
    const db = new Database(join(dir, 'controller.db'));
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    db.exec(MIGRATIONS[0]!.sql);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, ?, 1)').run(MIGRATIONS[0]!.name);
    db.prepare("INSERT INTO agents (id, name, public_key, enrolled_at) VALUES ('a1', 'web-1', 'pk', 1)").run();
    db.close();

    const s = new SqliteStore(dir);
    try {
      assert.equal(s.schemaVersion, MIGRATIONS.at(-1)!.version);
      assert.equal(s.getAgent('a1')?.name, 'web-1');
      s.createDeployment(dep('d1', 1));
      assert.equal(s.getDeployment('d1')?.status, 'running');
    } finally {
      s.close();
    }
  });
});

test('migration 3 keeps deployments, their order, events and steps, and accepts subcommands', () => {
  withDir((dir) => {
    const db = new Database(join(dir, 'controller.db'));
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const m of MIGRATIONS.slice(0, 2)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 1)').run(m.version, m.name);
    }
    const insert = db.prepare(`INSERT INTO deployments (id, service, command, version, performer, created_at, snapshot, status)
      VALUES (?, 'app', 'deploy', 'v1', 'ci', 5, '{}', 'running')`);
    insert.run('d-b');
    insert.run('d-a');
    db.prepare("INSERT INTO deployment_events (deployment_id, idx, at, event) VALUES ('d-b', 0, 5, '{\"type\":\"say\",\"text\":\"hi\"}')").run();
    db.prepare("INSERT INTO deployment_steps (deployment_id, step_id, host, kind, status, started_at) VALUES ('d-b', '0.0.vm1', 'vm1', 'app.boot', 'running', 5)").run();
    const subcommand = "INSERT INTO deployments (id, service, command, version, performer, created_at, snapshot, status) VALUES ('x', 'app', 'app boot', 'v', 'ci', 1, '{}', 'running')";
    assert.throws(() => db.prepare(subcommand).run(), /CHECK constraint failed/, 'migration 2 refuses subcommands');
    db.close();

    const s = new SqliteStore(dir);
    try {
      assert.equal(s.schemaVersion, MIGRATIONS.at(-1)!.version);
      assert.deepEqual(s.listDeployments({}).map((d) => d.id), ['d-a', 'd-b'], 'same-millisecond order kept');
      assert.deepEqual(s.listEvents('d-b', 0).map((e) => e.event), [{ type: 'say', text: 'hi' }]);
      assert.deepEqual(s.listSteps('d-b').map((st) => st.stepId), ['0.0.vm1']);
      s.createDeployment(dep('d-c', 6, { command: 'proxy reboot' }));
      assert.equal(s.getDeployment('d-c')?.command, 'proxy reboot');
      assert.throws(() => s.createDeployment(dep('d-d', 7, { command: 'nonsense' as never })), /unknown command "nonsense"/);
    } finally {
      s.close();
    }
    const check = new Database(join(dir, 'controller.db'), { readonly: true });
    assert.deepEqual(check.pragma('foreign_key_check'), []);
    check.close();
  });
});

test('create, finish, get and list: newest first, filtered by service, destination and status', () => {
  withStore((s) => {
    const created = s.createDeployment(dep('d1', 100));
    assert.deepEqual(created, { ...dep('d1', 100), status: 'running', finishedAt: null, error: null, exitCode: null, eventCount: 0 });
    s.createDeployment(dep('d2', 200, { destination: 'staging' }));
    s.createDeployment(dep('d3', 300, { service: 'other', command: 'rollback' }));
    s.createDeployment(dep('d4', 300)); // same millisecond as d3: insertion order breaks the tie
    assert.throws(() => s.createDeployment(dep('d1', 400)), /d1 already exists/);

    s.finishDeployment('d1', { status: 'succeeded', error: null, exitCode: 0, at: 150 });
    s.finishDeployment('d2', { status: 'failed', error: 'health check timed out', exitCode: 1, at: 250 });
    assert.throws(() => s.finishDeployment('d1', { status: 'failed', error: 'x', exitCode: 1, at: 160 }), /already finished/);
    assert.throws(() => s.finishDeployment('nope', { status: 'failed', error: 'x', exitCode: 1, at: 160 }), /does not exist/);

    const d2 = s.getDeployment('d2')!;
    assert.equal(d2.status, 'failed');
    assert.equal(d2.error, 'health check timed out');
    assert.equal(d2.exitCode, 1);
    assert.equal(d2.finishedAt, 250);
    assert.equal(d2.destination, 'staging');
    assert.deepEqual(d2.snapshot, dep('d2', 200).snapshot);
    assert.equal(s.getDeployment('nope'), null);

    const ids = (f?: Parameters<SqliteStore['listDeployments']>[0]) => s.listDeployments(f).map((d) => d.id);
    assert.deepEqual(ids(), ['d4', 'd3', 'd2', 'd1']);
    assert.deepEqual(ids({ service: 'app' }), ['d4', 'd2', 'd1']);
    s.finishDeployment('d4', { status: 'rolled_back', error: 'web-2: did not become healthy', exitCode: 1, at: 350 });
    assert.deepEqual(ids({ status: 'rolled_back' }), ['d4']);
    assert.deepEqual(ids({ service: 'app', destination: null }), ['d4', 'd1']);
    assert.deepEqual(ids({ service: 'app', destination: 'staging' }), ['d2']);
    assert.deepEqual(ids({ status: 'running' }), ['d3']);
    assert.deepEqual(ids({ status: 'succeeded' }), ['d1']);
    assert.deepEqual(ids({ service: 'app', limit: 2 }), ['d4', 'd2']);
    assert.deepEqual(ids({ limit: 0 }), []);
    assert.throws(() => s.listDeployments({ limit: -2 }), /limit/);
  });
});

test('a snapshot or event that is not JSON is refused before anything is written', () => {
  withStore((s) => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.throws(() => s.createDeployment(dep('d1', 1, { snapshot: circular })), /snapshot is not JSON-serialisable/);
    assert.equal(s.getDeployment('d1'), null);
    s.createDeployment(dep('d1', 1));
    assert.throws(() => s.appendEvent('d1', 2, undefined), /not JSON-serialisable/);
    assert.throws(() => s.appendEvent('d1', 2, 10n), /not JSON-serialisable/);
    assert.equal(s.getDeployment('d1')!.eventCount, 0);
  });
});

test('events get increasing indexes per deployment and listEvents resumes from an index', () => {
  withStore((s) => {
    s.createDeployment(dep('d1', 1));
    s.createDeployment(dep('d2', 2));
    for (let i = 0; i < 5; i++) assert.equal(s.appendEvent('d1', 10 + i, { type: 'log', line: `line ${i}` }), i);
    assert.equal(s.appendEvent('d2', 20, { type: 'start' }), 0);
    assert.throws(() => s.appendEvent('nope', 1, {}), /nope does not exist/);

    assert.equal(s.getDeployment('d1')!.eventCount, 5);
    assert.equal(s.getDeployment('d2')!.eventCount, 1);
    assert.deepEqual(s.listEvents('d1', 0).map((e) => e.index), [0, 1, 2, 3, 4]);
    assert.deepEqual(s.listEvents('d1', 3), [
      { deploymentId: 'd1', index: 3, at: 13, event: { type: 'log', line: 'line 3' } },
      { deploymentId: 'd1', index: 4, at: 14, event: { type: 'log', line: 'line 4' } },
    ]);
    assert.deepEqual(s.listEvents('d1', 1, 2).map((e) => e.index), [1, 2]);
    assert.deepEqual(s.listEvents('d1', 5), []);
    assert.deepEqual(s.listEvents('nope', 0), []);

    // Events may still be appended after the deployment finished (e.g. the final summary).
    s.finishDeployment('d1', { status: 'succeeded', error: null, exitCode: 0, at: 30 });
    assert.equal(s.appendEvent('d1', 31, { type: 'finished' }), 5);
  });
});

test('steps are upserted by (deployment, step id) and listed in start order', () => {
  withStore((s) => {
    s.createDeployment(dep('d1', 1));
    s.recordStep({ deploymentId: 'd1', stepId: 'boot-web-1', host: 'web-1', kind: 'boot', status: 'running', startedAt: 20, finishedAt: null, error: null });
    s.recordStep({ deploymentId: 'd1', stepId: 'pull-web-1', host: 'web-1', kind: 'pull', status: 'running', startedAt: 10, finishedAt: null, error: null });
    s.recordStep({ deploymentId: 'd1', stepId: 'pull-web-1', host: 'web-1', kind: 'pull', status: 'succeeded', startedAt: 10, finishedAt: 15, error: null });
    s.recordStep({ deploymentId: 'd1', stepId: 'boot-web-1', host: 'web-1', kind: 'boot', status: 'failed', startedAt: 20, finishedAt: 25, error: 'unhealthy' });
    s.recordStep({ deploymentId: 'd1', stepId: 'prune', host: null, kind: 'prune', status: 'skipped', startedAt: 20, finishedAt: 20, error: null });
    assert.throws(
      () => s.recordStep({ deploymentId: 'nope', stepId: 'x', host: null, kind: 'k', status: 'running', startedAt: 1, finishedAt: null, error: null }),
      /nope does not exist/,
    );
    const steps = s.listSteps('d1');
    assert.deepEqual(steps.map((x) => [x.stepId, x.status]), [['pull-web-1', 'succeeded'], ['boot-web-1', 'failed'], ['prune', 'skipped']]);
    assert.deepEqual(steps[1], { deploymentId: 'd1', stepId: 'boot-web-1', host: 'web-1', kind: 'boot', status: 'failed', startedAt: 20, finishedAt: 25, error: 'unhealthy' });
    assert.deepEqual(s.listSteps('nope'), []);
  });
});

test('acquireLock is exclusive per key and reports the holder; release can be scoped to a deployment', () => {
  withStore((s) => {
    const first = s.acquireLock(lock('app', { holder: 'alice', deploymentId: 'd1' }));
    assert.equal(first.acquired, true);
    const second = s.acquireLock(lock('app', { holder: 'bob', deploymentId: 'd2', acquiredAt: 11 }));
    assert.equal(second.acquired, false);
    assert.ok(!second.acquired);
    assert.equal(second.held.holder, 'alice');
    assert.equal(second.held.deploymentId, 'd1');
    assert.equal(second.held.automatic, true);

    assert.equal(s.acquireLock(lock('app-staging', { automatic: false, version: null, message: 'maintenance' })).acquired, true);
    assert.deepEqual(s.getLock('app-staging'), lock('app-staging', { automatic: false, version: null, message: 'maintenance' }));
    assert.deepEqual(s.listLocks().map((l) => l.key), ['app', 'app-staging']);
    assert.equal(s.getLock('nope'), null);

    assert.equal(s.releaseLock('app', { deploymentId: 'd2' }), false, 'another deployment cannot release it');
    assert.equal(s.getLock('app')?.holder, 'alice');
    assert.equal(s.releaseLock('app', { deploymentId: 'd1' }), true);
    assert.equal(s.getLock('app'), null);
    assert.equal(s.releaseLock('app'), false);
    assert.equal(s.releaseLock('app-staging'), true, 'without deploymentId any lock is released');
    assert.equal(s.acquireLock(lock('app', { holder: 'bob' })).acquired, true);
  });
});

test('host locks: a service lock and its host locks exclude each other, host locks of different hosts do not', () => {
  withStore((s) => {
    assert.equal(s.acquireLock(lock(hostLockKey('app', 'h1'), { deploymentId: 'c1' })).acquired, true);
    assert.equal(s.acquireLock(lock(hostLockKey('app', 'h2'), { deploymentId: 'c2' })).acquired, true, 'another host converges beside it');
    const again = s.acquireLock(lock(hostLockKey('app', 'h1'), { deploymentId: 'c3' }));
    assert.equal(again.acquired ? null : again.held.deploymentId, 'c1');
    const service = s.acquireLock(lock('app', { holder: 'bob', deploymentId: 'd1' }));
    assert.equal(service.acquired ? null : service.held.key, 'app@h1', 'a deployment of the service waits for the host locks');
    assert.equal(s.acquireLock(lock('app-staging')).acquired, true, 'another destination is another service');
    assert.equal(s.acquireLock(lock('ap')).acquired, true);
    assert.deepEqual(s.serviceLocks('app').map((l) => l.key), ['app@h1', 'app@h2']);
    assert.equal(s.getLock('app'), null, 'getLock is the exact key');
    assert.equal(lockedHost('app@h1'), 'h1');
    assert.equal(lockedHost('app-staging'), null);

    assert.equal(s.releaseLock('app@h2', { deploymentId: 'c2' }), true);
    assert.equal(s.releaseLock('app'), true, 'released by hand, the host locks go with the service');
    assert.deepEqual(s.serviceLocks('app'), []);
    assert.deepEqual(s.listLocks().map((l) => l.key), ['ap', 'app-staging']);
    assert.equal(s.acquireLock(lock('app', { deploymentId: 'd1' })).acquired, true);
    const host = s.acquireLock(lock(hostLockKey('app', 'h3'), { deploymentId: 'c4' }));
    assert.equal(host.acquired ? null : host.held.key, 'app', 'a convergence waits for the service lock');
    assert.deepEqual(s.serviceLocks('app').map((l) => l.key), ['app']);
  });
});

test('failInterruptedDeployments fails running deployments, frees only their automatic locks, and is durable', () => {
  withDir((dir) => {
    let s = new SqliteStore(dir);
    try {
      s.createDeployment(dep('done', 1));
      s.finishDeployment('done', { status: 'succeeded', error: null, exitCode: 0, at: 2 });
      s.createDeployment(dep('r1', 3));
      s.createDeployment(dep('r2', 4, { service: 'other' }));
      s.recordStep({ deploymentId: 'r1', stepId: 's1', host: 'h', kind: 'boot', status: 'running', startedAt: 5, finishedAt: null, error: null });
      s.recordStep({ deploymentId: 'r1', stepId: 's0', host: 'h', kind: 'pull', status: 'succeeded', startedAt: 4, finishedAt: 5, error: null });
      s.acquireLock(lock('app', { deploymentId: 'r1' }));
      s.acquireLock(lock('other', { deploymentId: 'r2' }));
      s.acquireLock(lock('manual', { automatic: false, holder: 'carol', message: 'db migration' }));
      // A manual lock that names the deployment it was taken during still survives.
      s.acquireLock(lock('manual-2', { automatic: false, deploymentId: 'r1' }));
      s.acquireLock(lock('old', { deploymentId: 'done' }));
    } finally {
      s.close();
    }

    s = new SqliteStore(dir);
    try {
      const failed = s.failInterruptedDeployments('controller restarted', 100);
      assert.deepEqual(failed.map((d) => d.id), ['r2', 'r1']);
      for (const d of failed) {
        assert.equal(d.status, 'failed');
        assert.equal(d.error, 'controller restarted');
        assert.equal(d.exitCode, 1);
        assert.equal(d.finishedAt, 100);
      }
      assert.deepEqual(s.listLocks().map((l) => l.key), ['manual', 'manual-2', 'old']);
      assert.deepEqual(s.listSteps('r1').map((x) => [x.stepId, x.status, x.error]), [['s0', 'succeeded', null], ['s1', 'failed', 'controller restarted']]);
      assert.equal(s.getDeployment('done')!.status, 'succeeded');
      assert.deepEqual(s.failInterruptedDeployments('again', 200), []);
    } finally {
      s.close();
    }

    s = new SqliteStore(dir);
    try {
      assert.equal(s.getDeployment('r1')!.status, 'failed');
      assert.equal(s.getDeployment('r2')!.error, 'controller restarted');
      assert.deepEqual(s.listDeployments({ status: 'running' }), []);
      assert.deepEqual(s.listLocks().map((l) => l.key), ['manual', 'manual-2', 'old']);
    } finally {
      s.close();
    }
  });
});

test('service secrets keep the newest versions; re-putting a version makes it newest', () => {
  withStore((s) => {
    const key = serviceKey('app', 'staging');
    assert.equal(key, 'app-staging');
    assert.equal(serviceKey('app', null), 'app');
    s.putServiceSecrets(key, 'v1', Buffer.from('one'), 1);
    s.putServiceSecrets(key, 'v2', Buffer.from('two'), 2);
    s.putServiceSecrets('app', 'v1', Buffer.from('other key'), 2);
    assert.deepEqual(s.listServiceSecretVersions(key), ['v2', 'v1']);
    s.putServiceSecrets(key, 'v3', Buffer.from('three'), 3);
    assert.deepEqual(s.listServiceSecretVersions(key), ['v3', 'v2']);
    assert.equal(s.getServiceSecrets(key, 'v1'), null);
    assert.deepEqual(s.getServiceSecrets(key, 'v3'), Buffer.from('three'));

    // Re-put v2 (e.g. a rollback redeploys it), even with an older clock: it becomes newest, v3 stays as previous.
    s.putServiceSecrets(key, 'v2', Buffer.from('two again'), 0);
    assert.deepEqual(s.listServiceSecretVersions(key), ['v2', 'v3']);
    assert.deepEqual(s.getServiceSecrets(key, 'v2'), Buffer.from('two again'));
    s.putServiceSecrets(key, 'v4', Buffer.from('four'), 4, 1);
    assert.deepEqual(s.listServiceSecretVersions(key), ['v4']);
    assert.deepEqual(s.listServiceSecretVersions('app'), ['v1'], 'other keys are untouched');
    assert.throws(() => s.putServiceSecrets(key, 'v5', Buffer.from('x'), 5, 0), /keep/);
    assert.deepEqual(s.listServiceSecretVersions('nope'), []);
  });
});

test('a deployment created with its secrets stores both in one transaction: a refused one stores neither', () => {
  withStore((s) => {
    const secrets = (version: string, text: string) => ({ key: 'app', version, sealed: Buffer.from(text), at: 1, keep: 2 });
    s.createDeployment(dep('d1', 1), secrets('v1', 'sealed one'));
    assert.deepEqual(s.getServiceSecrets('app', 'v1'), Buffer.from('sealed one'));
    assert.throws(() => s.createDeployment(dep('d1', 2), secrets('v2', 'sealed two')), /already exists/);
    assert.equal(s.getServiceSecrets('app', 'v2'), null);
    assert.deepEqual(s.listServiceSecretVersions('app'), ['v1']);
    assert.throws(() => s.createDeployment(dep('d3', 3), { ...secrets('v3', 'x'), keep: 0 }), /keep/);
    assert.equal(s.getDeployment('d3'), null);
  });
});

test('a deployment takes and releases its automatic lock without waiting for an fsync; a lock by hand waits for it', () => {
  withStore((s) => {
    // The store's connection, to see the synchronous mode each commit runs under (wal-sync.ts, withoutFsync).
    const db = (s as unknown as { db: Database.Database }).db;
    const modes: string[] = [];
    const pragma = db.pragma.bind(db);
    db.pragma = ((source: string, options?: Database.PragmaOptions) => {
      if (source.startsWith('synchronous =')) modes.push(source);
      return pragma(source, options);
    }) as typeof db.pragma;
    s.createDeployment(dep('d1', 1));
    assert.equal(s.acquireLock(lock('app', { deploymentId: 'd1' })).acquired, true);
    assert.deepEqual(modes.splice(0), ['synchronous = NORMAL', 'synchronous = FULL']);
    assert.equal(s.releaseLock('app', { deploymentId: 'd1' }), true);
    assert.deepEqual(modes.splice(0), ['synchronous = NORMAL', 'synchronous = FULL']);
    assert.equal(s.acquireLock(lock('app', { automatic: false })).acquired, true);
    assert.equal(s.releaseLock('app'), true);
    assert.deepEqual(modes, [], 'a manual lock commits with synchronous=FULL');
  });
});

test('corrupt rows produce an Error naming the table and row, not a SyntaxError', () => {
  withStore((s, dir) => {
    s.createDeployment(dep('d1', 1));
    s.appendEvent('d1', 2, { ok: true });
    assert.equal(s.listEvents('d1', 0).length, 1, 'a read commits the pending event first');
    const db = new Database(join(dir, 'controller.db'));
    db.prepare("UPDATE deployments SET snapshot = '{not json' WHERE id = 'd1'").run();
    db.prepare("UPDATE deployment_events SET event = 'nope{' WHERE deployment_id = 'd1'").run();
    db.close();
    const named = (table: string, id: string) => (e: unknown) =>
      e instanceof Error && !(e instanceof SyntaxError) && e.message.includes(table) && e.message.includes(id) && !e.message.includes('{not json');
    assert.throws(() => s.getDeployment('d1'), named('deployments', 'd1'));
    assert.throws(() => s.listDeployments(), named('deployments', 'd1'));
    assert.throws(() => s.listEvents('d1', 0), named('deployment_events', 'd1#0'));
  });
});

test('events and steps of one event-loop turn are committed together, before anyone reads them or hears of them', async () => {
  await withStoreAsync(async (s, dir) => {
    s.createDeployment(dep('d1', 1));
    const heard: number[] = [];
    assert.equal(s.appendEvent('d1', 2, { n: 0 }), 0);
    s.recordStep({ deploymentId: 'd1', stepId: 's1', host: 'h', kind: 'app.boot', status: 'running', startedAt: 3, finishedAt: null, error: null });
    assert.equal(s.appendEvent('d1', 4, { n: 1 }), 1);
    s.afterCommit(() => heard.push(s.getDeployment('d1')!.eventCount));
    assert.deepEqual(heard, [], 'not durable yet: nobody is told');
    const other = new Database(join(dir, 'controller.db'), { readonly: true });
    assert.equal((other.prepare('SELECT COUNT(*) AS n FROM deployment_events').get() as { n: number }).n, 0);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal((other.prepare('SELECT COUNT(*) AS n FROM deployment_events').get() as { n: number }).n, 2, 'committed at the end of the turn');
    assert.equal((other.prepare('SELECT status FROM deployment_steps').get() as { status: string }).status, 'running');
    assert.deepEqual(heard, [], 'the WAL is synced off the event loop: not told yet');
    await new Promise<void>((resolve) => s.afterCommit(resolve));
    assert.deepEqual(heard, [2], 'told once it is durable');
    other.close();
    assert.throws(() => s.appendEvent('nope', 1, {}), /deployment nope does not exist/);
    assert.throws(() => s.recordStep({ deploymentId: 'nope', stepId: 's', host: null, kind: 'x', status: 'running', startedAt: 1, finishedAt: null, error: null }), /deployment nope does not exist/);
  });
});
