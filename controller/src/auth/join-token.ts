import { randomBytes, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';
import { JOIN_TOKEN_AUDIENCE, JoinTokenPayload, type JoinClaims } from '@drover/shared/protocol';
import type { JoinTokenRecord, Store } from '../store/store.js';

export interface MintJoinTokenInput {
  controllerId: string;
  signingKey: KeyObject;
  claims: JoinClaims;
  ttlSeconds: number;
  now?: number;
}

/** A join token: EdDSA JWT, short-lived, carrying the controller URL and TLS pin. */
export async function mintJoinToken(input: MintJoinTokenInput): Promise<{ token: string; jti: string; expiresAt: number }> {
  const now = Math.floor((input.now ?? Date.now()) / 1000);
  const jti = randomBytes(16).toString('hex');
  const exp = now + input.ttlSeconds;
  const token = await new SignJWT({ drover: input.claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'drover-join+jwt' })
    .setIssuer(input.controllerId)
    .setAudience(JOIN_TOKEN_AUDIENCE)
    .setJti(jti)
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(input.signingKey);
  return { token, jti, expiresAt: exp * 1000 };
}

/**
 * Mints a join token and records it (id, name, labels, expiry, reusable), so that it can be listed and
 * revoked and enrollment can count its uses; the token itself is not stored.
 */
export async function issueJoinToken(store: Store, input: MintJoinTokenInput): Promise<{ token: string; jti: string; expiresAt: number }> {
  const now = input.now ?? Date.now();
  const minted = await mintJoinToken({ ...input, now });
  store.createJoinToken({
    id: minted.jti, name: input.claims.name ?? null, labels: input.claims.labels, reusable: input.claims.reusable,
    createdAt: now, expiresAt: minted.expiresAt,
  });
  return minted;
}

export type JoinTokenStatus = 'active' | 'used' | 'expired' | 'revoked';

/** A single-use token is `used` after its enrollment; a reusable one stays active until it expires. */
export function joinTokenStatus(token: Pick<JoinTokenRecord, 'revokedAt' | 'expiresAt' | 'reusable' | 'uses'>, now = Date.now()): JoinTokenStatus {
  if (token.revokedAt !== null) return 'revoked';
  if (!token.reusable && token.uses > 0) return 'used';
  if (token.expiresAt <= now) return 'expired';
  return 'active';
}

export type JoinTokenCheck = { ok: true; payload: JoinTokenPayload } | { ok: false; reason: string };

/** Verifies signature, issuer, audience and expiry; single-use is the store's job. */
export async function verifyJoinToken(token: string, controllerId: string, verifyKey: KeyObject): Promise<JoinTokenCheck> {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, verifyKey, {
      algorithms: ['EdDSA'], issuer: controllerId, audience: JOIN_TOKEN_AUDIENCE, requiredClaims: ['jti', 'exp', 'iat'],
    });
    if (protectedHeader.typ !== 'drover-join+jwt') return { ok: false, reason: 'not a join token' };
    const parsed = JoinTokenPayload.safeParse(payload);
    if (!parsed.success) return { ok: false, reason: 'join token claims are malformed' };
    return { ok: true, payload: parsed.data };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: 'join token expired' };
    if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'join token was not signed by this controller' };
    if (err instanceof errors.JWTClaimValidationFailed) return { ok: false, reason: `join token ${err.claim} claim is not valid for this controller` };
    return { ok: false, reason: 'not a valid join token' };
  }
}
