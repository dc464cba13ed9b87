import { createHash, randomBytes } from 'node:crypto';
import type { OperatorScope, OperatorTokenRecord, Store } from '../store/store.js';

const PREFIX = 'drv_op_';

export function hashOperatorToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Creates an operator token; only its hash is stored, the secret is returned once. */
export function createOperatorToken(store: Store, scope: OperatorScope, name: string): { secret: string; record: OperatorTokenRecord } {
  const secret = PREFIX + randomBytes(32).toString('base64url');
  const record: OperatorTokenRecord = { id: randomBytes(6).toString('hex'), name, scope, hash: hashOperatorToken(secret), createdAt: Date.now(), revokedAt: null };
  store.createOperatorToken(record);
  return { secret, record };
}

const RANK: Record<OperatorScope, number> = { read: 1, deploy: 2, admin: 3 };

/** admin ⊇ deploy ⊇ read. */
export function scopeAllows(have: OperatorScope, need: OperatorScope): boolean {
  return RANK[have] >= RANK[need];
}

/** Looks up a bearer secret; anything that is not a live operator token (agent JWTs included) is null. */
export function authenticateOperator(store: Store, secret: string): OperatorTokenRecord | null {
  if (!secret.startsWith(PREFIX) || secret.length > 200) return null;
  const rec = store.findOperatorTokenByHash(hashOperatorToken(secret));
  return rec && rec.revokedAt === null ? rec : null;
}
