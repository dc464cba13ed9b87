import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateOperator, scopeAllows } from '../auth/operator-token.js';
import type { OperatorScope, OperatorTokenRecord, Store } from '../store/store.js';
import { sendError } from './http-errors.js';

/**
 * Returns the operator token behind the request's bearer header if it has
 * `scope`, otherwise replies 401/403 and returns null. Agent credentials are
 * never operator tokens, so they always get 401 here.
 */
export function requireOperator(store: Store, req: FastifyRequest, reply: FastifyReply, scope: OperatorScope): OperatorTokenRecord | null {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  const token = m?.[1] ? authenticateOperator(store, m[1]) : null;
  if (!token) {
    sendError(reply, 401, 'unauthorized', 'a valid operator token is required (Authorization: Bearer …)');
    return null;
  }
  if (!scopeAllows(token.scope, scope)) {
    sendError(reply, 403, 'forbidden', `this token has scope ${token.scope}; ${scope} is required`);
    return null;
  }
  return token;
}
