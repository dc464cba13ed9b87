import { createPublicKey, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AGENT_ENROLL_PATH, AGENT_ID_PREFIX, AgentName, EnrollRequest, type EnrollResponse } from '@drover/shared/protocol';
import { verifyJoinToken } from '../auth/join-token.js';
import { StoreConflict, type Store } from '../store/store.js';
import type { ControllerIdentity } from '../auth/controller-identity.js';
import type { Metrics } from './metrics.js';
import { sendError, zodMessage } from './http-errors.js';
import type { ConnectionLimits } from './connection-limits.js';

/** POST /v1/agent/enroll: exchanges a join token for a registered agent public key. */
export function registerEnrollRoute(app: FastifyInstance, deps: { store: Store; identity: ControllerIdentity; metrics: Metrics; limits: ConnectionLimits }): void {
  const { store, identity, metrics, limits } = deps;
  app.post(AGENT_ENROLL_PATH, async (req, reply) => {
    const fail = (status: number, code: string, message: string) => {
      metrics.enrollmentFailures++;
      // Spends the address's failure budget; logged once per address per minute, not per attempt.
      limits.recordFailure(req.ip, 'enrollment', `${message} (${code})`);
      return sendError(reply, status, code, message);
    };
    const body = EnrollRequest.safeParse(req.body);
    if (!body.success) return fail(400, 'bad_request', zodMessage('enroll request', body.error));
    const check = await verifyJoinToken(body.data.token, identity.controllerId, identity.verifyKey);
    if (!check.ok) return fail(401, 'bad_join_token', check.reason);
    const claims = check.payload.drover;
    if (claims.name && body.data.name && claims.name !== body.data.name) {
      return fail(403, 'name_mismatch', `this join token is for agent ${claims.name}, not ${body.data.name}`);
    }
    const name = AgentName.safeParse(claims.name ?? body.data.name ?? body.data.hostname.toLowerCase());
    if (!name.success) return fail(400, 'bad_name', `agent name: ${name.error.issues[0]?.message}; pass --name`);
    try {
      const key = createPublicKey({ key: Buffer.from(body.data.publicKey, 'base64'), format: 'der', type: 'spki' });
      if (key.asymmetricKeyType !== 'ed25519') return fail(400, 'bad_key', 'agent public key must be Ed25519');
    } catch {
      return fail(400, 'bad_key', 'agent public key is not a DER SPKI key');
    }
    try {
      const agent = store.enrollAgent({
        id: `${AGENT_ID_PREFIX}${randomBytes(12).toString('hex')}`, name: name.data, publicKey: body.data.publicKey, labels: claims.labels,
        enrolledAt: Date.now(), hostname: body.data.hostname, agentVersion: body.data.agentVersion,
      }, check.payload.jti);
      metrics.enrollments++;
      req.log.info({ agent: agent.name, address: req.ip }, 'agent enrolled');
      const res: EnrollResponse = { agentId: agent.id, name: agent.name, labels: agent.labels, controllerId: identity.controllerId };
      return reply.code(201).send(res);
    } catch (err) {
      if (err instanceof StoreConflict) return fail(err.reason === 'name_taken' ? 409 : 401, err.reason, err.message);
      throw err;
    }
  });
}
