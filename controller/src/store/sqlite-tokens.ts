import type Database from 'better-sqlite3';
import { z } from 'zod';
import { OPERATOR_SCOPES, StoreConflict, type JoinTokenRecord, type NewJoinToken, type OperatorTokenRecord } from './store.js';

type Row = Record<string, unknown>;

const Labels = z.record(z.string());
const Scope = z.enum(OPERATOR_SCOPES);
const nullableNumber = (v: unknown): number | null => (v == null ? null : Number(v));

function operatorTokenFromRow(r: Row, where: string): OperatorTokenRecord {
  const scope = Scope.safeParse(r.scope);
  if (!scope.success) throw new Error(`${where}: operator token ${String(r.id)} has an unknown scope`);
  return {
    id: String(r.id),
    name: String(r.name),
    scope: scope.data,
    hash: String(r.hash),
    createdAt: Number(r.created_at),
    expiresAt: nullableNumber(r.expires_at),
    lastUsedAt: nullableNumber(r.last_used_at),
    revokedAt: nullableNumber(r.revoked_at),
  };
}

function joinTokenFromRow(r: Row, where: string): JoinTokenRecord {
  let labels: Record<string, string>;
  try {
    labels = Labels.parse(JSON.parse(String(r.labels)));
  } catch {
    throw new Error(`${where}: join token ${String(r.jti)} has unreadable labels`);
  }
  return {
    id: String(r.jti),
    name: r.name == null ? null : String(r.name),
    labels,
    reusable: Number(r.reusable) === 1,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    uses: Number(r.uses),
    lastUsedAt: nullableNumber(r.last_used_at),
    revokedAt: nullableNumber(r.revoked_at),
  };
}

/** Operator and join tokens in SQLite (the `Store`'s token half; see sqlite-store.ts). */
export class SqliteTokens {
  private operatorTokenByHash: Database.Statement | null = null;

  constructor(private readonly db: Database.Database, private readonly where: string) {}

  /**
   * Counts one enrollment with join token `id`; call inside the enrollment's transaction, so a refused
   * enrollment uses nothing and two concurrent ones cannot both use a single-use token.
   */
  useJoinToken(id: string, at: number): void {
    const r = this.db.prepare('SELECT * FROM join_tokens WHERE jti = ?').get(id) as Row | undefined;
    if (!r) throw new StoreConflict('token_unknown', 'this join token is not known to this controller (minted before an upgrade, or by another controller); mint a new one');
    const token = joinTokenFromRow(r, this.where);
    if (token.revokedAt !== null) throw new StoreConflict('token_revoked', 'this join token was revoked');
    if (!token.reusable && token.uses > 0) throw new StoreConflict('token_used', 'this join token was already used');
    this.db.prepare('UPDATE join_tokens SET uses = uses + 1, last_used_at = ? WHERE jti = ?').run(at, id);
  }

  isJoinTokenUsed(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM join_tokens WHERE jti = ? AND uses > 0').get(id) !== undefined;
  }

  createJoinToken(t: NewJoinToken): void {
    this.db.prepare('INSERT INTO join_tokens (jti, name, labels, reusable, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(t.id, t.name, JSON.stringify(t.labels), t.reusable ? 1 : 0, t.createdAt, t.expiresAt);
  }

  getJoinToken(id: string): JoinTokenRecord | null {
    const r = this.db.prepare('SELECT * FROM join_tokens WHERE jti = ?').get(id) as Row | undefined;
    return r ? joinTokenFromRow(r, this.where) : null;
  }

  listJoinTokens(): JoinTokenRecord[] {
    return (this.db.prepare('SELECT * FROM join_tokens ORDER BY created_at DESC, rowid DESC').all() as Row[]).map((r) => joinTokenFromRow(r, this.where));
  }

  revokeJoinToken(id: string, at: number): boolean {
    return this.db.prepare('UPDATE join_tokens SET revoked_at = ? WHERE jti = ? AND revoked_at IS NULL').run(at, id).changes === 1;
  }

  createOperatorToken(t: OperatorTokenRecord): void {
    this.db.prepare('INSERT INTO operator_tokens (id, name, scope, hash, created_at, expires_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(t.id, t.name, t.scope, t.hash, t.createdAt, t.expiresAt, t.lastUsedAt, t.revokedAt);
  }

  findOperatorTokenByHash(hash: string): OperatorTokenRecord | null {
    // Prepared once: this runs on every operator request.
    this.operatorTokenByHash ??= this.db.prepare('SELECT * FROM operator_tokens WHERE hash = ?');
    const r = this.operatorTokenByHash.get(hash) as Row | undefined;
    return r ? operatorTokenFromRow(r, this.where) : null;
  }

  listOperatorTokens(): OperatorTokenRecord[] {
    return (this.db.prepare('SELECT * FROM operator_tokens ORDER BY created_at, rowid').all() as Row[]).map((r) => operatorTokenFromRow(r, this.where));
  }

  revokeOperatorToken(id: string, at: number): boolean {
    return this.db.prepare('UPDATE operator_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes === 1;
  }

  recordOperatorTokenUse(id: string, at: number): void {
    this.db.prepare('UPDATE operator_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)').run(at, id, at);
  }
}
