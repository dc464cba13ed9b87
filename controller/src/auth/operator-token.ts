import { createHash, randomBytes } from 'node:crypto';
import type { OperatorScope, OperatorTokenRecord, Store } from '../store/store.js';

const PREFIX = 'drv_op_';

/** Last use is recorded at this resolution: at most one write per token a minute, not one per request. */
export const LAST_USE_RESOLUTION_MS = 60_000;

export function hashOperatorToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface NewOperatorToken {
  scope: OperatorScope;
  name: string;
  /** null or absent: never expires. */
  ttlSeconds?: number | null;
  now?: number;
}

/** Creates an operator token; only its hash is stored, the secret is returned once. */
export function createOperatorToken(store: Store, input: NewOperatorToken): { secret: string; record: OperatorTokenRecord } {
  const secret = PREFIX + randomBytes(32).toString('base64url');
  const createdAt = input.now ?? Date.now();
  const record: OperatorTokenRecord = {
    id: randomBytes(6).toString('hex'), name: input.name, scope: input.scope, hash: hashOperatorToken(secret), createdAt,
    expiresAt: input.ttlSeconds ? createdAt + input.ttlSeconds * 1000 : null, lastUsedAt: null, revokedAt: null,
  };
  store.createOperatorToken(record);
  return { secret, record };
}

/** metrics only reads /metrics; admin ⊇ deploy ⊇ read ⊇ metrics. */
const RANK: Record<OperatorScope, number> = { metrics: 0, read: 1, deploy: 2, admin: 3 };

export function scopeAllows(have: OperatorScope, need: OperatorScope): boolean {
  return RANK[have] >= RANK[need];
}

export type OperatorTokenStatus = 'active' | 'expired' | 'revoked';

export function operatorTokenStatus(token: Pick<OperatorTokenRecord, 'expiresAt' | 'revokedAt'>, now = Date.now()): OperatorTokenStatus {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt <= now) return 'expired';
  return 'active';
}

export type OperatorTokenCheck = { ok: true; token: OperatorTokenRecord } | { ok: false; reason: string };

const NOT_A_TOKEN = 'a valid operator token is required (Authorization: Bearer …)';

/**
 * Looks up a bearer secret: a live token (not revoked, not expired) is ok, and its use is recorded at
 * minute resolution; anything else (agent JWTs included) is refused with the reason to show.
 */
export function checkOperatorToken(store: Store, secret: string, now = Date.now()): OperatorTokenCheck {
  if (!secret.startsWith(PREFIX) || secret.length > 200) return { ok: false, reason: NOT_A_TOKEN };
  const token = store.findOperatorTokenByHash(hashOperatorToken(secret));
  if (!token) return { ok: false, reason: NOT_A_TOKEN };
  const status = operatorTokenStatus(token, now);
  if (status === 'revoked') return { ok: false, reason: `operator token ${token.name} (${token.id}) was revoked` };
  if (status === 'expired') return { ok: false, reason: `operator token ${token.name} (${token.id}) expired at ${new Date(token.expiresAt!).toISOString()}` };
  if (token.lastUsedAt === null || now - token.lastUsedAt >= LAST_USE_RESOLUTION_MS) return { ok: true, token: recordUse(store, token, now) };
  return { ok: true, token };
}

/** Best effort: a store that cannot write (a full disk) must not lock operators out. */
function recordUse(store: Store, token: OperatorTokenRecord, now: number): OperatorTokenRecord {
  try {
    store.recordOperatorTokenUse(token.id, now);
    return { ...token, lastUsedAt: now };
  } catch {
    return token;
  }
}

/** The live operator token behind a bearer secret, or null. */
export function authenticateOperator(store: Store, secret: string, now = Date.now()): OperatorTokenRecord | null {
  const check = checkOperatorToken(store, secret, now);
  return check.ok ? check.token : null;
}
