import type { z } from 'zod';
import type Docker from 'dockerode';
import { RpcError, RpcErrorCode, type CallContext, type Handler } from '@drover/shared/protocol';
import type { AgentLogger } from '../log.js';

/** What every agent handler gets: the RPC context plus agent services. */
export interface AgentCallContext extends CallContext {
  log: AgentLogger;
  /** dockerode client for the local engine; null when the host has no Docker socket. */
  docker: Docker | null;
}

export interface HandlerSpec<P> {
  /** Params are validated with this schema before the handler runs (invalid → `invalid_params`). */
  params: z.ZodType<P, z.ZodTypeDef, unknown>;
  /** `required`: the caller must open a stream (`hub.open`); `none`: it must not. Default `none`. */
  stream?: 'required' | 'optional' | 'none';
  run(params: P, ctx: AgentCallContext): Promise<unknown>;
}

/** A spec of any params type, for maps of handlers (params are checked at run time). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHandlerSpec = HandlerSpec<any>;

/** Typed helper so a handler's `params` type flows into `run`. */
export function defineHandler<P>(spec: HandlerSpec<P>): HandlerSpec<P> {
  return spec;
}

export interface RegistryDeps {
  log: AgentLogger;
  docker: Docker | null;
}

/**
 * Method name → handler. The connection looks handlers up here for every
 * incoming request; container operations register their handlers the same way
 * the built-ins do (see handlers.ts).
 */
export class HandlerRegistry {
  private readonly specs = new Map<string, HandlerSpec<unknown>>();

  constructor(private readonly deps: RegistryDeps) {}

  register<P>(method: string, spec: HandlerSpec<P>): this {
    if (this.specs.has(method)) throw new Error(`agent RPC method ${method} is registered twice`);
    this.specs.set(method, spec as HandlerSpec<unknown>);
    return this;
  }

  registerAll(specs: Record<string, AnyHandlerSpec>): this {
    for (const [method, spec] of Object.entries(specs)) this.register(method, spec as HandlerSpec<unknown>);
    return this;
  }

  methods(): string[] {
    return [...this.specs.keys()].sort();
  }

  /** A session-level handler that validates params and stream use, then runs the spec. */
  lookup(method: string): Handler | undefined {
    const spec = this.specs.get(method);
    if (!spec) return undefined;
    return async (rawParams, ctx) => {
      const parsed = spec.params.safeParse(rawParams ?? {});
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        throw new RpcError(RpcErrorCode.InvalidParams, `${method}: ${i?.path.join('.') || 'params'}: ${i?.message ?? 'invalid'}`);
      }
      const mode = spec.stream ?? 'none';
      if (mode === 'required' && !ctx.stream) throw new RpcError(RpcErrorCode.InvalidParams, `${method} must be called with a stream`);
      if (mode === 'none' && ctx.stream) throw new RpcError(RpcErrorCode.InvalidParams, `${method} does not take a stream`);
      return spec.run(parsed.data, { ...ctx, stream: ctx.stream, signal: ctx.signal, log: this.deps.log, docker: this.deps.docker });
    };
  }
}
