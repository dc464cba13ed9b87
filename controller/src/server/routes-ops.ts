import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { RpcError, RpcErrorCode, formatBytes, type Stream } from '@drover/shared/protocol';
import type { Store } from '../store/store.js';
import type { AgentHub } from './agent-hub.js';
import { UNBOUNDED_CALL_MS, agentNamed } from './agent-lookup.js';
import { sendError, sendRpcError } from './http-errors.js';
import { RpcBody } from './operator-api.js';
import { requireOperationScope } from './route-schemas.js';
import { sendFollowed } from './rpc-follow.js';

export interface OpsRouteDeps {
  store: Store;
  hub: AgentHub;
  /** A followed call with no output sends a keepalive line this often; default the agents' heartbeat. */
  keepaliveMs?: number;
  /** A followed call whose client accepts nothing for this long (output waiting) is dropped. */
  stallMs?: number;
}

/**
 * Most output one call answered in a single body (a stream without `follow`) may collect: past it the call
 * is cancelled and answered `too_large`, so one call cannot take the controller's memory. Followed calls
 * stream instead, bounded by the stream's window.
 */
export const MAX_COLLECTED_OUTPUT_BYTES = 16 * 1024 * 1024;

/** The stream's output, whole; rejects with `too_large` once it passes `cap` (reading stops there). */
async function collectOutput(stream: Stream, method: string, cap: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const part = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    size += part.length;
    if (size > cap) throw new RpcError(RpcErrorCode.TooLarge, `${method}: output passed ${formatBytes(cap)}, more than one answer may hold; the call was stopped. Follow it instead (stream.follow, as \`logs -f\` does) or ask for less`);
    parts.push(part);
  }
  return Buffer.concat(parts, size);
}

const NameParams = z.object({ name: z.string().min(1).max(128) });
type NameParams = z.output<typeof NameParams>;
type Body = z.output<typeof RpcBody>;

/**
 * Agent calls for operators: `POST /v1/agents/:name/rpc` — one call, with or without a stream, its
 * output collected or followed. The scope comes from the method (route-schemas.ts `operationScope`):
 * read operations need `read`, exec and changes `deploy`, anything outside the catalog `admin`.
 * The interactive exec websocket is exec-gateway.ts.
 */
export const opsRoutes: FastifyPluginAsync<OpsRouteDeps> = async (app: FastifyInstance, deps) => {
  const { store, hub } = deps;
  const keepaliveMs = deps.keepaliveMs ?? hub.heartbeatMs;
  const stallMs = deps.stallMs ?? 10 * 60_000;

  app.post('/v1/agents/:name/rpc', {
    config: { scope: 'read' }, bodyLimit: 16 * 1024 * 1024, schema: { params: NameParams, body: RpcBody }, preHandler: requireOperationScope,
  }, async (req, reply) => {
    const body = req.body as Body;
    const { name } = req.params as NameParams;
    const agent = agentNamed(store, name);
    if (!agent) return sendError(reply, 404, 'not_found', `no enrolled agent named ${name}`);
    // The client going away cancels the call (the agent stops reading logs, kills the exec).
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    const follow = body.stream?.follow === true;
    const opts = { timeoutMs: body.timeoutMs ?? (follow ? UNBOUNDED_CALL_MS : undefined), signal: gone.signal };
    try {
      if (!body.stream) return { result: (await hub.call(agent.id, body.method, body.params, opts)) ?? null };
      const { stream, result } = hub.open(agent.id, body.method, body.params, opts);
      result.catch(() => undefined);
      if (body.stream.resize) stream.resize(body.stream.resize.cols, body.stream.resize.rows);
      if (follow) {
        // Input (if any) is written while the output is already being followed.
        const input = Buffer.from(body.stream.input, 'base64');
        void (input.length ? stream.write(input) : Promise.resolve()).then(() => stream.end(), () => undefined);
        return await sendFollowed(reply, stream, result, { keepaliveMs, stallMs, gone, params: body.params });
      }
      // Too much output cancels the call on the agent (the same signal as the client leaving) and answers at once.
      let overflow: unknown = null;
      const output = collectOutput(stream, body.method, MAX_COLLECTED_OUTPUT_BYTES);
      const capped = output.then(() => undefined, (err: unknown) => { overflow ??= err; gone.abort(); throw err; });
      capped.catch(() => undefined);
      try {
        const input = Buffer.from(body.stream.input, 'base64');
        if (input.length) await Promise.race([stream.write(input), capped]);
        stream.end();
        const r = await Promise.race([result, capped.then(() => result)]);
        return { result: r ?? null, output: (await output).toString('base64') };
      } catch (err) {
        // The cancel fails the call too; the operator should read why it was cancelled.
        throw overflow ?? err;
      }
    } catch (err) {
      if (err instanceof RpcError) return sendRpcError(reply, err, body.params);
      throw err;
    }
  });
};
