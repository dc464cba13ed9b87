import { z } from 'zod';
import { FINGERPRINT_PATTERN } from './pin.js';

/** Every agent id starts with this; no agent name may, so a name can never be read as another agent's id. */
export const AGENT_ID_PREFIX = 'agt-';

/** An agent's name: hostname-like (dot-separated labels of lowercase letters, digits and "-"), never id-shaped. */
export const AgentName = z.string().min(1).max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'lowercase letters, digits, "-" and "." between labels, each label starting and ending with a letter or digit')
  .refine((name) => !name.startsWith(AGENT_ID_PREFIX), `may not start with "${AGENT_ID_PREFIX}" (reserved for agent ids)`);
export const LabelKey = z.string().min(1).max(63).regex(/^[a-zA-Z0-9]([a-zA-Z0-9._/-]*[a-zA-Z0-9])?$/, 'letters, digits, ".", "_", "/", "-"');
export const Labels = z.record(LabelKey, z.string().max(255)).refine((l) => Object.keys(l).length <= 64, 'at most 64 labels');

/** The Drover-specific part of a join token's claims. */
export const JoinClaims = z.object({
  /** Controller URL the agent enrolls and connects at. */
  url: z.string().url().refine((u) => /^(https|http):\/\//.test(u), 'must be an http(s) URL'),
  /** Pinned TLS public-key fingerprint of the controller. */
  fp: z.string().regex(FINGERPRINT_PATTERN),
  name: AgentName.optional(),
  labels: Labels.default({}),
  reusable: z.boolean().default(false),
}).strict();
export type JoinClaims = z.infer<typeof JoinClaims>;

export const JoinTokenPayload = z.object({
  iss: z.string(),
  aud: z.string(),
  jti: z.string().min(8).max(64),
  iat: z.number(),
  exp: z.number(),
  drover: JoinClaims,
});
export type JoinTokenPayload = z.infer<typeof JoinTokenPayload>;

/**
 * Reads a join token's claims WITHOUT verifying its signature: the agent only
 * needs the URL and the fingerprint to pin; the controller verifies the rest.
 */
export function readJoinToken(token: string): JoinTokenPayload {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || !parts[1]) throw new Error('not a join token (expected a JWT: three base64url parts separated by ".")');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw new Error('not a join token (payload is not JSON)');
  }
  const parsed = JoinTokenPayload.safeParse(payload);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`not a valid join token (${i?.path.join('.') || 'payload'}: ${i?.message ?? 'invalid'})`);
  }
  return parsed.data;
}

/** POST /v1/agent/enroll body. */
export const EnrollRequest = z.object({
  token: z.string().min(1).max(8192),
  /** Ed25519 public key, SPKI DER base64. */
  publicKey: z.string().min(40).max(200),
  name: AgentName.optional(),
  hostname: z.string().max(255),
  agentVersion: z.string().max(64),
}).strict();
export type EnrollRequest = z.infer<typeof EnrollRequest>;

export const EnrollResponse = z.object({
  agentId: z.string(),
  name: z.string(),
  labels: z.record(z.string()),
  controllerId: z.string(),
}).strict();
export type EnrollResponse = z.infer<typeof EnrollResponse>;
