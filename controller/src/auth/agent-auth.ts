import { createPublicKey, type KeyObject } from 'node:crypto';
import { jwtVerify, decodeJwt, errors } from 'jose';
import { CloseCode, MAX_AUTH_TOKEN_LIFETIME_S } from '@drover/shared/protocol';
import type { AgentRecord } from '../store/store.js';

export type AgentAuthResult = { ok: true } | { ok: false; code: number; reason: string };

// Parsing a public key costs more than verifying; 10k agents × ~100 B is cheap to keep.
const keyCache = new Map<string, KeyObject>();

function publicKeyOf(agent: AgentRecord): KeyObject {
  let key = keyCache.get(agent.id);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(agent.publicKey, 'base64'), format: 'der', type: 'spki' });
    keyCache.set(agent.id, key);
  }
  return key;
}

export function forgetAgentKey(agentId: string): void {
  keyCache.delete(agentId);
}

/**
 * Checks the JWT an agent answered a challenge with. Order matters: the
 * signature is checked before any claim, so an unsigned token can never learn
 * which claim it got wrong.
 */
export async function verifyAgentAuth(token: string, agent: AgentRecord, expect: { controllerId: string; nonce: string; nowSeconds: number }): Promise<AgentAuthResult> {
  try {
    decodeJwt(token);
  } catch {
    return { ok: false, code: CloseCode.MalformedAuth, reason: 'auth token is not a JWT' };
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, publicKeyOf(agent), {
      algorithms: ['EdDSA'], audience: expect.controllerId, issuer: agent.id, subject: agent.id,
      requiredClaims: ['exp', 'iat', 'nonce'], currentDate: new Date(expect.nowSeconds * 1000), clockTolerance: 5,
    }));
  } catch (err) {
    if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, code: CloseCode.BadSignature, reason: 'signature does not match the enrolled key' };
    if (err instanceof errors.JWTExpired) return { ok: false, code: CloseCode.Expired, reason: 'auth token expired' };
    if (err instanceof errors.JWTClaimValidationFailed) {
      if (err.claim === 'aud') return { ok: false, code: CloseCode.WrongAudience, reason: 'auth token is addressed to another controller' };
      if (err.claim === 'iat' || err.claim === 'nbf') return { ok: false, code: CloseCode.Expired, reason: `auth token ${err.claim} is in the future` };
      return { ok: false, code: CloseCode.MalformedAuth, reason: `auth token ${err.claim} claim is invalid` };
    }
    return { ok: false, code: CloseCode.MalformedAuth, reason: 'auth token is malformed' };
  }
  const iat = payload.iat as number;
  const exp = payload.exp as number;
  if (exp - iat > MAX_AUTH_TOKEN_LIFETIME_S) return { ok: false, code: CloseCode.Expired, reason: `auth token lifetime ${exp - iat}s exceeds ${MAX_AUTH_TOKEN_LIFETIME_S}s` };
  if (payload.nonce !== expect.nonce) return { ok: false, code: CloseCode.WrongNonce, reason: 'nonce does not match this connection (replay?)' };
  return { ok: true };
}
