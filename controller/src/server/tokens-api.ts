import { z } from 'zod';
import { OPERATOR_SCOPES } from '../store/store.js';

// Operator API bodies for listing and revoking operator and join tokens, shared by the routes and the
// CLI's client. No view ever carries a token's value or its hash.

export const OperatorTokenView = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(OPERATOR_SCOPES),
  createdAt: z.number(),
  expiresAt: z.number().nullable(),
  /** Minute resolution. */
  lastUsedAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
}).strict();
export type OperatorTokenView = z.infer<typeof OperatorTokenView>;
export const OperatorTokenList = z.object({ tokens: z.array(OperatorTokenView) });

/** `self`: the token revoked is the one the request was made with (it no longer works). */
export const OperatorTokenRevoked = z.object({ token: OperatorTokenView, self: z.boolean() });
export type OperatorTokenRevoked = z.infer<typeof OperatorTokenRevoked>;

export const JoinTokenView = z.object({
  /** The token's JWT id (jti). */
  id: z.string(),
  /** The agent name it enrolls; null: the host chooses. */
  name: z.string().nullable(),
  labels: z.record(z.string()),
  reusable: z.boolean(),
  createdAt: z.number(),
  expiresAt: z.number(),
  uses: z.number(),
  lastUsedAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
  status: z.enum(['active', 'used', 'expired', 'revoked']),
}).strict();
export type JoinTokenView = z.infer<typeof JoinTokenView>;
export const JoinTokenList = z.object({ tokens: z.array(JoinTokenView) });
export const JoinTokenRevoked = z.object({ token: JoinTokenView });

/** `?all=1`: include revoked, expired and used tokens (by default only those that still work). */
export const TokenListQuery = z.object({ all: z.enum(['0', '1']).default('0') }).strict();

export const TokenIdParams = z.object({ id: z.string().min(1).max(128) });
export type TokenIdParams = z.output<typeof TokenIdParams>;
