import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from './sqlite-store.js';
import { StoreConflict } from './store.js';
import { MIGRATIONS } from './migrations.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'drover-tokens-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function withStore(fn: (s: SqliteStore) => void): void {
  withDir((dir) => {
    const s = new SqliteStore(dir);
    try {
      fn(s);
    } finally {
      s.close();
    }
  });
}

const agent = (id: string, name: string) => ({ id, name, publicKey: 'pk', labels: {}, enrolledAt: 10, hostname: 'h', agentVersion: '0.1.0' });
const joinToken = (id: string, reusable: boolean) => ({ id, name: null, labels: { role: 'web' }, reusable, createdAt: 1, expiresAt: 1_000 });
const conflict = (reason: string) => (e: unknown) => e instanceof StoreConflict && e.reason === reason;

test('migration 4 keeps the operator tokens of a version 3 database (never expiring, never used)', () => {
  withDir((dir) => {
    const db = new Database(join(dir, 'controller.db'));
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const m of MIGRATIONS.filter((m) => m.version <= 3)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
    }
    db.prepare("INSERT INTO operator_tokens (id, name, scope, hash, created_at, revoked_at) VALUES ('t1', 'ci', 'deploy', 'h1', 5, NULL), ('t2', 'old', 'admin', 'h2', 6, 7)").run();
    db.close();
    const s = new SqliteStore(dir);
    try {
      assert.ok(s.schemaVersion >= 4);
      assert.deepEqual(s.listOperatorTokens(), [
        { id: 't1', name: 'ci', scope: 'deploy', hash: 'h1', createdAt: 5, expiresAt: null, lastUsedAt: null, revokedAt: null },
        { id: 't2', name: 'old', scope: 'admin', hash: 'h2', createdAt: 6, expiresAt: null, lastUsedAt: null, revokedAt: 7 },
      ]);
    } finally {
      s.close();
    }
  });
});

test('enrollment needs a recorded, unrevoked join token; single use is used once, reusable ones count their uses', () => {
  withStore((s) => {
    assert.throws(() => s.enrollAgent(agent('a0', 'web-0'), 'never-minted'), conflict('token_unknown'));
    s.createJoinToken(joinToken('single', false));
    s.createJoinToken(joinToken('pool', true));
    s.enrollAgent(agent('a1', 'web-1'), 'single');
    assert.throws(() => s.enrollAgent(agent('a2', 'web-2'), 'single'), conflict('token_used'));
    s.enrollAgent(agent('a3', 'web-3'), 'pool');
    s.enrollAgent(agent('a4', 'web-4'), 'pool');
    assert.throws(() => s.enrollAgent(agent('a5', 'web-4'), 'pool'), conflict('name_taken'));
    assert.deepEqual([s.getJoinToken('pool')?.uses, s.getJoinToken('pool')?.lastUsedAt], [2, 10], 'a refused enrollment uses nothing');
    assert.equal(s.revokeJoinToken('pool', 20), true);
    assert.equal(s.revokeJoinToken('pool', 21), false);
    assert.throws(() => s.enrollAgent(agent('a6', 'web-6'), 'pool'), conflict('token_revoked'));
    assert.deepEqual(s.listJoinTokens().map((t) => [t.id, t.uses, t.revokedAt, t.labels]), [['pool', 2, 20, { role: 'web' }], ['single', 1, null, { role: 'web' }]]);
    assert.deepEqual(s.listAgents().map((a) => a.id), ['a1', 'a3', 'a4']);
  });
});

test('operator tokens: revoked once, last use only moves forward', () => {
  withStore((s) => {
    s.createOperatorToken({ id: 't1', name: 'ci', scope: 'metrics', hash: 'abc', createdAt: 1, expiresAt: 100, lastUsedAt: null, revokedAt: null });
    s.recordOperatorTokenUse('t1', 50);
    s.recordOperatorTokenUse('t1', 40);
    assert.equal(s.findOperatorTokenByHash('abc')?.lastUsedAt, 50);
    assert.equal(s.revokeOperatorToken('t1', 60), true);
    assert.equal(s.revokeOperatorToken('t1', 61), false);
    assert.deepEqual(s.findOperatorTokenByHash('abc'), { id: 't1', name: 'ci', scope: 'metrics', hash: 'abc', createdAt: 1, expiresAt: 100, lastUsedAt: 50, revokedAt: 60 });
  });
});
