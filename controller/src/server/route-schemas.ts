import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodType } from 'zod';
import { OPERATION_CATALOG, isOperationName } from '@drover/shared/operations/catalog';
import { authenticateOperator, scopeAllows } from '../auth/operator-token.js';
import type { OperatorScope, OperatorTokenRecord, Store } from '../store/store.js';
import { sendError, zodMessage } from './http-errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operator scope a route needs; routes without one are not operator routes (agents, health). */
    scope?: OperatorScope;
  }
  interface FastifyRequest {
    /** The operator token behind the request, set by the scope hook. */
    operator: OperatorTokenRecord | null;
  }
}

/** Route schemas are zod types: params, querystring and body are parsed once, before the handler. */
export function useZodSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (!(schema instanceof ZodType)) throw new Error('route schemas must be zod types');
    return (data: unknown) => {
      const parsed = schema.safeParse(data ?? {});
      if (parsed.success) return { value: parsed.data };
      const error = Object.assign(new Error(zodMessage(httpPart ?? 'request', parsed.error)), { statusCode: 400, code: 'bad_request' });
      return { error };
    };
  });
}

/**
 * Operator authentication as one hook: a route declares `config: { scope }` and the hook checks the
 * bearer token against it (401 without a valid token, 403 when its scope is too small). Agent
 * credentials are never operator tokens.
 */
export function useOperatorScopes(app: FastifyInstance, store: Store): void {
  app.decorateRequest('operator', null);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const scope = req.routeOptions.config.scope;
    if (!scope) return;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const token = m?.[1] ? authenticateOperator(store, m[1]) : null;
    if (!token) return sendError(reply, 401, 'unauthorized', 'a valid operator token is required (Authorization: Bearer …)');
    if (!scopeAllows(token.scope, scope)) return sendForbidden(reply, token.scope, scope);
    req.operator = token;
  });
}

/** The 403 answer of every scope check. */
export function forbiddenMessage(have: OperatorScope, need: OperatorScope): string {
  return `this token has scope ${have}; ${need} is required`;
}

export function sendForbidden(reply: FastifyReply, have: OperatorScope, need: OperatorScope): FastifyReply {
  return sendError(reply, 403, 'forbidden', forbiddenMessage(have, need));
}

/** Operations that run a command on a host: they can do anything the container can. */
const EXEC_OPERATIONS: ReadonlySet<string> = new Set(['app.exec', 'accessory.exec']);

/**
 * The scope calling an agent method needs, from the operation catalog: a catalog operation that changes
 * nothing is `read` (details, logs, lists, audit); exec and every mutating operation are `deploy`; a method
 * outside the catalog (the agent's internal and test methods) is `admin`.
 */
export function operationScope(method: string): OperatorScope {
  if (!isOperationName(method)) return 'admin';
  return OPERATION_CATALOG[method].mutates || EXEC_OPERATIONS.has(method) ? 'deploy' : 'read';
}

/**
 * preHandler of routes whose body names an agent method (`{ method }`): the route declares the lowest
 * scope (`config: { scope: 'read' }`, checked by the hook above); this checks the method's own scope
 * once the body is parsed.
 */
export async function requireOperationScope(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const method = (req.body as { method?: unknown } | undefined)?.method;
  const need = typeof method === 'string' ? operationScope(method) : 'admin';
  const have = operatorOf(req).scope;
  if (!scopeAllows(have, need)) return sendForbidden(reply, have, need);
  return undefined;
}

/** The operator of a route that declared a scope (the hook has run). */
export function operatorOf(req: FastifyRequest): OperatorTokenRecord {
  if (!req.operator) throw new Error(`route ${req.url} has no scope but reads the operator`);
  return req.operator;
}
