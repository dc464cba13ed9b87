import { generateKeyPairSync } from 'node:crypto';
import { hostname } from 'node:os';
import { DROVER_VERSION, UserError } from '@drover/shared';
import { AGENT_ENROLL_PATH, EnrollResponse, PinMismatchError, plainHttpRefusal, readJoinToken, type EnrollRequest } from '@drover/shared/protocol';
import { PinnedHttp, textOf } from '@drover/shared/protocol/pinned-http';
import { isoTime } from '@drover/shared/utc-time';
import { isEnrolled, saveIdentity, type AgentIdentity } from '../state/agent-state.js';

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
  if (claims.exp * 1000 < Date.now()) throw new UserError(`--token: this join token expired at ${isoTime(claims.exp * 1000)}; mint a new one`);
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
  const http = new PinnedHttp(claims.drover.fp, url.href);
  let status: number;
  let json: unknown;
  try {
    const res = await http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), headersTimeoutMs: 30_000, bodyIdleMs: 30_000 });
    status = res.statusCode ?? 0;
    json = jsonOrNull(await textOf(res));
  } catch (err) {
    if (err instanceof PinMismatchError) throw new UserError(`enroll: ${err.message}`);
    throw new UserError(`enroll: cannot reach the controller at ${url.origin}: ${(err as Error).message}`);
  } finally {
    http.close();
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

function jsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
