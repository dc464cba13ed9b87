import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodType } from 'zod';
import { OPERATION_CATALOG, isOperationName, type OperationSpec } from '@drover/shared/operations/catalog';
import { checkOperatorToken, scopeAllows } from '../auth/operator-token.js';
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
    const check = checkOperatorToken(store, m?.[1] ?? '');
    if (!check.ok) return sendError(reply, 401, 'unauthorized', check.reason);
    if (!scopeAllows(check.token.scope, scope)) return sendForbidden(reply, check.token.scope, scope);
    req.operator = check.token;
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
export function operationScope(method: string, params?: unknown): OperatorScope {
  if (!isOperationName(method)) return 'admin';
  const spec: OperationSpec = OPERATION_CATALOG[method];
  if (EXEC_OPERATIONS.has(method)) return 'deploy';
  return spec.mutates && !spec.readOnlyWith?.(params) ? 'deploy' : 'read';
}

/**
 * preHandler of routes whose body names an agent method (`{ method }`): the route declares the lowest
 * scope (`config: { scope: 'read' }`, checked by the hook above); this checks the method's own scope
 * once the body is parsed.
 */
export async function requireOperationScope(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const body = req.body as { method?: unknown; params?: unknown } | undefined;
  const need = typeof body?.method === 'string' ? operationScope(body.method, body.params) : 'admin';
  const have = operatorOf(req).scope;
  if (!scopeAllows(have, need)) return sendForbidden(reply, have, need);
  return undefined;
}

/** The operator of a route that declared a scope (the hook has run). */
export function operatorOf(req: FastifyRequest): OperatorTokenRecord {
  if (!req.operator) throw new Error(`route ${req.url} has no scope but reads the operator`);
  return req.operator;
}
