import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { CloseCode, MAX_AUTH_TOKEN_LIFETIME_S } from '@drover/shared/protocol';
import type { AgentRecord } from '../store/store.js';

export type AgentAuthResult = { ok: true } | { ok: false; code: number; reason: string };

const CLOCK_TOLERANCE_S = 5;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
// DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32-byte raw key follows.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

// 10k agents × ~100 B is cheap to keep; a reconnect storm then parses each key once.
const keyCache = new Map<string, KeyObject>();

/**
 * The agent's enrolled key. Ed25519 keys are imported from their raw bytes
 * (as a JWK): OpenSSL 3's generic DER decoder costs ~10× more per key, which
 * shows up when 10k agents reconnect to a freshly started controller.
 */
function publicKeyOf(agent: AgentRecord): KeyObject {
  let key = keyCache.get(agent.id);
  if (!key) {
    const der = Buffer.from(agent.publicKey, 'base64');
    key = der.length === 44 && der.subarray(0, 12).equals(ED25519_SPKI_PREFIX)
      ? createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: der.subarray(12).toString('base64url') }, format: 'jwk' })
      : createPublicKey({ key: der, format: 'der', type: 'spki' });
    keyCache.set(agent.id, key);
  }
  return key;
}

export function forgetAgentKey(agentId: string): void {
  keyCache.delete(agentId);
}

function jsonPart(part: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const fail = (code: number, reason: string): AgentAuthResult => ({ ok: false, code, reason });
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Checks the compact EdDSA JWS an agent answered a challenge with, with
 * node:crypto directly (synchronous, one Ed25519 verify, no key conversion per
 * call). Order matters: the signature is checked before any claim, so an
 * unsigned token can never learn which claim it got wrong.
 */
export function verifyAgentAuth(token: string, agent: AgentRecord, expect: { controllerId: string; nonce: string; nowSeconds: number }): AgentAuthResult {
  const parts = JWT_SHAPE.test(token) ? token.split('.') : [];
  const header = parts.length === 3 ? jsonPart(parts[0]!) : null;
  const payload = header ? jsonPart(parts[1]!) : null;
  if (!header || !payload) return fail(CloseCode.MalformedAuth, 'auth token is not a JWT');
  if (header.alg !== 'EdDSA' || header.crit !== undefined) return fail(CloseCode.MalformedAuth, 'auth token is malformed');
  const signature = Buffer.from(parts[2]!, 'base64url');
  let valid = false;
  try {
    valid = signature.length === 64 && verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), publicKeyOf(agent), signature);
  } catch {
    valid = false;
  }
  if (!valid) return fail(CloseCode.BadSignature, 'signature does not match the enrolled key');

  for (const claim of ['exp', 'iat'] as const) {
    if (!isNumber(payload[claim])) return fail(CloseCode.MalformedAuth, `auth token ${claim} claim is invalid`);
  }
  if (typeof payload.nonce !== 'string') return fail(CloseCode.MalformedAuth, 'auth token nonce claim is invalid');
  if (payload.iss !== agent.id) return fail(CloseCode.MalformedAuth, 'auth token iss claim is invalid');
  if (payload.sub !== agent.id) return fail(CloseCode.MalformedAuth, 'auth token sub claim is invalid');
  const aud = payload.aud;
  if (!(aud === expect.controllerId || (Array.isArray(aud) && aud.includes(expect.controllerId)))) {
    return fail(CloseCode.WrongAudience, 'auth token is addressed to another controller');
  }
  const now = expect.nowSeconds;
  const iat = payload.iat as number;
  const exp = payload.exp as number;
  if (iat > now + CLOCK_TOLERANCE_S) return fail(CloseCode.Expired, 'auth token iat is in the future');
  if (payload.nbf !== undefined && (!isNumber(payload.nbf) || payload.nbf > now + CLOCK_TOLERANCE_S)) return fail(CloseCode.Expired, 'auth token nbf is in the future');
  if (exp <= now - CLOCK_TOLERANCE_S) return fail(CloseCode.Expired, 'auth token expired');
  if (exp - iat > MAX_AUTH_TOKEN_LIFETIME_S) return fail(CloseCode.Expired, `auth token lifetime ${exp - iat}s exceeds ${MAX_AUTH_TOKEN_LIFETIME_S}s`);
  if (payload.nonce !== expect.nonce) return fail(CloseCode.WrongNonce, 'nonce does not match this connection (replay?)');
  return { ok: true };
}
