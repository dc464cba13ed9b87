import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { joinTokenStatus } from '../auth/join-token.js';
import { operatorTokenStatus } from '../auth/operator-token.js';
import type { JoinTokenRecord, OperatorTokenRecord, Store } from '../store/store.js';
import { sendError } from './http-errors.js';
import { operatorOf } from './route-schemas.js';
import {
  TokenIdParams, TokenListQuery, type JoinTokenView, type OperatorTokenRevoked, type OperatorTokenView,
} from './tokens-api.js';

export function operatorTokenView(t: OperatorTokenRecord, now = Date.now()): OperatorTokenView {
  return {
    id: t.id, name: t.name, scope: t.scope, createdAt: t.createdAt, expiresAt: t.expiresAt, lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt, status: operatorTokenStatus(t, now),
  };
}

export function joinTokenView(t: JoinTokenRecord, now = Date.now()): JoinTokenView {
  return {
    id: t.id, name: t.name, labels: t.labels, reusable: t.reusable, createdAt: t.createdAt, expiresAt: t.expiresAt,
    uses: t.uses, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt, status: joinTokenStatus(t, now),
  };
}

type Lookup<T> = { found: T } | { status: number; code: string; message: string };

/** An operator token by id, else by name among the unrevoked ones (names need not be unique). */
export function findOperatorToken(tokens: OperatorTokenRecord[], idOrName: string): Lookup<OperatorTokenRecord> {
  const byId = tokens.find((t) => t.id === idOrName);
  if (byId) return byId.revokedAt === null ? { found: byId } : { status: 409, code: 'already_revoked', message: `operator token ${byId.name} (${byId.id}) is already revoked` };
  const named = tokens.filter((t) => t.name === idOrName && t.revokedAt === null);
  if (named.length === 1) return { found: named[0]! };
  if (named.length > 1) return { status: 409, code: 'ambiguous', message: `${named.length} operator tokens are named ${idOrName} (${named.map((t) => t.id).join(', ')}); revoke one by its id` };
  return { status: 404, code: 'not_found', message: `no operator token with id or name ${idOrName}` };
}

const refuse = (reply: FastifyReply, l: { status: number; code: string; message: string }) => sendError(reply, l.status, l.code, l.message);

/**
 * Listing and revoking operator tokens and join tokens (admin). Minting: `drover controller token create`
 * on the controller host (operator tokens), `POST /v1/agents/tokens` (join tokens, routes-operator.ts).
 */
export const tokenRoutes: FastifyPluginAsync<{ store: Store }> = async (app: FastifyInstance, { store }) => {
  app.get('/v1/operator-tokens', { config: { scope: 'admin' }, schema: { querystring: TokenListQuery } }, async (req) => {
    const { all } = req.query as z.output<typeof TokenListQuery>;
    const now = Date.now();
    const views = store.listOperatorTokens().map((t) => operatorTokenView(t, now));
    return { tokens: all === '1' ? views : views.filter((t) => t.status === 'active') };
  });

  app.post('/v1/operator-tokens/:id/revoke', { config: { scope: 'admin' }, schema: { params: TokenIdParams } }, async (req, reply) => {
    const { id } = req.params as TokenIdParams;
    const lookup = findOperatorToken(store.listOperatorTokens(), id);
    if (!('found' in lookup)) return refuse(reply, lookup);
    const now = Date.now();
    store.revokeOperatorToken(lookup.found.id, now);
    const self = lookup.found.id === operatorOf(req).id;
    req.log.warn({ token: lookup.found.id, name: lookup.found.name, by: operatorOf(req).id, self }, 'operator token revoked');
    const body: OperatorTokenRevoked = { token: operatorTokenView({ ...lookup.found, revokedAt: now }, now), self };
    return body;
  });

  app.get('/v1/agents/tokens', { config: { scope: 'admin' }, schema: { querystring: TokenListQuery } }, async (req) => {
    const { all } = req.query as z.output<typeof TokenListQuery>;
    const now = Date.now();
    const views = store.listJoinTokens().map((t) => joinTokenView(t, now));
    return { tokens: all === '1' ? views : views.filter((t) => t.status === 'active') };
  });

  app.post('/v1/agents/tokens/:id/revoke', { config: { scope: 'admin' }, schema: { params: TokenIdParams } }, async (req, reply) => {
    const { id } = req.params as TokenIdParams;
    const token = store.getJoinToken(id);
    if (!token) return sendError(reply, 404, 'not_found', `no join token with id ${id}`);
    if (token.revokedAt !== null) return sendError(reply, 409, 'already_revoked', `join token ${id} is already revoked`);
    const now = Date.now();
    store.revokeJoinToken(id, now);
    req.log.warn({ joinToken: id, by: operatorOf(req).id }, 'join token revoked');
    return { token: joinTokenView({ ...token, revokedAt: now }, now) };
  });
};
