import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from './sqlite-store.js';
import { StoreConflict } from './store.js';
import { MIGRATIONS } from './migrations.js';

function withStore(fn: (s: SqliteStore, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'drover-store-'));
  const s = new SqliteStore(dir);
  try {
    fn(s, dir);
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const agent = (id: string, name: string) => ({ id, name, publicKey: 'pk', labels: { role: 'web' }, enrolledAt: 1, hostname: 'h', agentVersion: '0.1.0' });

test('migrations apply once, WAL and FULL sync are on, data dir is private', () => {
  withStore((s, dir) => {
    assert.equal(s.schemaVersion, MIGRATIONS.at(-1)!.version);
    const db = new Database(join(dir, 'controller.db'), { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
    assert.equal(statSync(dir).mode & 0o077, 0);
    const again = new SqliteStore(dir);
    assert.equal(again.schemaVersion, MIGRATIONS.at(-1)!.version);
    again.close();
  });
});

test('enrollment consumes a single-use token atomically and keeps live names unique', () => {
  withStore((s) => {
    s.createJoinToken({ id: 'jti-1', name: null, labels: {}, reusable: false, createdAt: 1, expiresAt: 2 });
    s.enrollAgent(agent('a1', 'web-1'), 'jti-1');
    assert.equal(s.isJoinTokenUsed('jti-1'), true);
    assert.throws(() => s.enrollAgent(agent('a2', 'web-2'), 'jti-1'), (e: unknown) => e instanceof StoreConflict && e.reason === 'token_used');
    assert.equal(s.getAgent('a2'), null, 'failed enrollment leaves nothing behind');
    assert.throws(() => s.enrollAgent(agent('a3', 'web-1'), null), (e: unknown) => e instanceof StoreConflict && e.reason === 'name_taken');
    assert.equal(s.revokeAgent('a1', 5), true);
    assert.equal(s.revokeAgent('a1', 6), false);
    s.enrollAgent(agent('a4', 'web-1'), null);
    assert.equal(s.getAgentByName('web-1')?.id, 'a4');
    assert.deepEqual(s.listAgents().map((a) => a.id), ['a4']);
    assert.equal(s.listAgents({ includeRevoked: true }).length, 2);
  });
});

test('labels and batched presence updates persist', () => {
  withStore((s) => {
    s.enrollAgent(agent('a1', 'web-1'), null);
    s.setAgentLabels('a1', { role: 'db' });
    s.recordPresence([{ id: 'a1', lastSeen: 42, lastAddress: '10.0.0.1', dockerVersion: '27.0.1' }]);
    s.recordPresence([{ id: 'a1', lastSeen: 43 }]);
    const a = s.getAgent('a1')!;
    assert.deepEqual(a.labels, { role: 'db' });
    assert.equal(a.lastSeen, 43);
    assert.equal(a.lastAddress, '10.0.0.1');
    assert.equal(a.dockerVersion, '27.0.1');
  });
});

test('operator tokens are found by hash only', () => {
  withStore((s) => {
    s.createOperatorToken({ id: 't1', name: 'ci', scope: 'deploy', hash: 'abc', createdAt: 1, expiresAt: null, lastUsedAt: null, revokedAt: null });
    assert.equal(s.findOperatorTokenByHash('abc')?.scope, 'deploy');
    assert.equal(s.findOperatorTokenByHash('nope'), null);
    assert.equal(s.listOperatorTokens().length, 1);
  });
});
