import { generateKeyPairSync } from 'node:crypto';
import { hostname } from 'node:os';
import { request } from 'undici';
import { DROVER_VERSION, UserError } from '@drover/shared';
import { AGENT_ENROLL_PATH, EnrollResponse, PinMismatchError, plainHttpRefusal, readJoinToken, type EnrollRequest } from '@drover/shared/protocol';
import { isEnrolled, saveIdentity, type AgentIdentity } from '../state/agent-state.js';
import { pinnedDispatcher } from './pinned-http.js';

export interface EnrollOptions {
  dataDir: string;
  token: string;
  /** Overrides the URL in the token (e.g. the controller is reached at another address). */
  controllerUrl?: string;
  name?: string;
  force?: boolean;
}

/**
 * Generates this host's key pair, registers the public key with the controller
 * named in the join token (pinning the TLS key it carries), and stores the
 * identity. The token itself is never written to disk.
 */
export async function enroll(opts: EnrollOptions): Promise<AgentIdentity> {
  if (isEnrolled(opts.dataDir) && !opts.force) throw new UserError(`${opts.dataDir}: this host is already enrolled; pass --force to enroll again`);
  let claims;
  try {
    claims = readJoinToken(opts.token);
  } catch (err) {
    throw new UserError(`--token: ${(err as Error).message}`);
  }
  if (claims.exp * 1000 < Date.now()) throw new UserError(`--token: this join token expired at ${new Date(claims.exp * 1000).toISOString()}; mint a new one`);
  const base = opts.controllerUrl ?? claims.drover.url;
  let url: URL;
  try {
    url = new URL(AGENT_ENROLL_PATH, base);
  } catch {
    throw new UserError(`--controller: not a URL: "${base}"`);
  }
  const refusal = plainHttpRefusal(url);
  if (refusal) throw new UserError(`enroll: ${refusal}`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const body: EnrollRequest = {
    token: opts.token, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    hostname: hostname(), agentVersion: DROVER_VERSION, ...(opts.name ? { name: opts.name } : {}),
  };
  const dispatcher = url.protocol === 'https:' ? pinnedDispatcher(claims.drover.fp) : undefined;
  let status: number;
  let json: unknown;
  try {
    const res = await request(url, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), headersTimeout: 30_000, bodyTimeout: 30_000 });
    status = res.statusCode;
    json = await res.body.json().catch(() => null);
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause ?? err;
    if (cause instanceof PinMismatchError) throw new UserError(`enroll: ${cause.message}`);
    throw new UserError(`enroll: cannot reach the controller at ${url.origin}: ${(cause as Error).message}`);
  } finally {
    await dispatcher?.close();
  }
  if (status !== 201) {
    const message = (json as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${status}`;
    throw new UserError(`enroll: the controller refused: ${message}`);
  }
  const parsed = EnrollResponse.safeParse(json);
  if (!parsed.success) throw new UserError('enroll: the controller sent an unexpected answer');
  const identity: AgentIdentity = {
    agentId: parsed.data.agentId, name: parsed.data.name, controllerId: parsed.data.controllerId,
    controllerUrl: new URL(base).origin, fingerprint: claims.drover.fp, enrolledAt: Date.now(),
  };
  saveIdentity(opts.dataDir, identity, privateKey);
  return identity;
}
