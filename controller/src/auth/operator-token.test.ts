import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../store/sqlite-store.js';
import { LAST_USE_RESOLUTION_MS, checkOperatorToken, createOperatorToken, scopeAllows } from './operator-token.js';

function withStore(fn: (s: SqliteStore) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'drover-optoken-'));
  const s = new SqliteStore(dir);
  try {
    fn(s);
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('last use is written at most once a minute per token, not on every request', () => {
  withStore((store) => {
    const { secret, record } = createOperatorToken(store, { scope: 'read', name: 'ci', now: 0 });
    const writes: number[] = [];
    const record_ = store.recordOperatorTokenUse.bind(store);
    store.recordOperatorTokenUse = (id, at) => { writes.push(at); record_(id, at); };
    const t0 = 1_000_000;
    for (let i = 0; i < 100; i++) assert.equal(checkOperatorToken(store, secret, t0 + i * 100).ok, true);
    assert.deepEqual(writes, [t0]);
    checkOperatorToken(store, secret, t0 + LAST_USE_RESOLUTION_MS);
    assert.deepEqual(writes, [t0, t0 + LAST_USE_RESOLUTION_MS]);
    assert.equal(store.listOperatorTokens().find((t) => t.id === record.id)?.lastUsedAt, t0 + LAST_USE_RESOLUTION_MS);
  });
});

test('a store that cannot record the last use (a full disk) still lets the token in', () => {
  withStore((store) => {
    const { secret } = createOperatorToken(store, { scope: 'admin', name: 'ops', now: 0 });
    store.recordOperatorTokenUse = () => { throw new Error('SQLITE_FULL: database or disk is full'); };
    const check = checkOperatorToken(store, secret, 1_000);
    assert.equal(check.ok, true);
    assert.equal(check.ok && check.token.lastUsedAt, null);
  });
});

test('an expired or revoked token is refused with its reason; an unknown one with the generic message', () => {
  withStore((store) => {
    const { secret, record } = createOperatorToken(store, { scope: 'admin', name: 'short', ttlSeconds: 60, now: 0 });
    assert.equal(record.expiresAt, 60_000);
    assert.equal(checkOperatorToken(store, secret, 59_999).ok, true);
    assert.deepEqual(checkOperatorToken(store, secret, 60_000), { ok: false, reason: `operator token short (${record.id}) expired at 1970-01-01T00:01:00.000Z` });
    const forever = createOperatorToken(store, { scope: 'deploy', name: 'forever', now: 0 });
    assert.equal(forever.record.expiresAt, null);
    assert.equal(checkOperatorToken(store, forever.secret, 10 * 365 * 86_400_000).ok, true);
    store.revokeOperatorToken(forever.record.id, 5);
    assert.deepEqual(checkOperatorToken(store, forever.secret), { ok: false, reason: `operator token forever (${forever.record.id}) was revoked` });
    assert.match((checkOperatorToken(store, 'drv_op_nope') as { reason: string }).reason, /a valid operator token is required/);
  });
});

test('scopes: admin ⊇ deploy ⊇ read ⊇ metrics, and metrics reaches nothing else', () => {
  assert.equal(scopeAllows('read', 'metrics'), true);
  assert.equal(scopeAllows('admin', 'metrics'), true);
  assert.equal(scopeAllows('metrics', 'metrics'), true);
  assert.equal(scopeAllows('metrics', 'read'), false);
  assert.equal(scopeAllows('deploy', 'admin'), false);
});
