import { setTimeout as sleep } from 'node:timers/promises';
import { parseOperationResult, type OperationName, type OperationParams, type OperationResult } from '@drover/shared/operations';
import { RpcError, RpcErrorCode } from '@drover/shared/protocol';
import { ROLLOUT_DEFAULTS } from './defaults.js';
import type { AgentCaller } from './runner.js';

/** The slice of the agent hub a rollout needs. */
export interface HubCalls {
  call(agent: string, method: string, params?: unknown, options?: { timeoutMs?: number }): Promise<unknown>;
  open(agent: string, method: string, params?: unknown, options?: { timeoutMs?: number }): { stream: { write(chunk: Buffer): Promise<void>; end(): void }; result: Promise<unknown> };
  isOnlineByName(name: string): boolean;
}

/**
 * Calls operations by agent name, with results parsed by the catalog's schema. When the connection drops
 * mid-call the agent finishes the operation and records its outcome under the operation id, so the call is
 * repeated with the same id once the agent is back (within `reconnectMs`), and answers what was recorded.
 */
export function hubAgentCaller(hub: HubCalls, opts: { reconnectMs: number; pollMs?: number }): AgentCaller {
  return {
    isOnline: (host) => hub.isOnlineByName(host),

    async call<N extends OperationName>(host: string, op: N, params: OperationParams<N>, o: { operationId: string; timeoutMs: number }): Promise<OperationResult<N>> {
      const deadline = Date.now() + opts.reconnectMs;
      for (;;) {
        try {
          const raw = await hub.call(host, op, { ...params, operationId: o.operationId }, { timeoutMs: o.timeoutMs });
          return parseOperationResult(op, raw);
        } catch (err) {
          if (!(err instanceof RpcError) || err.code !== RpcErrorCode.Disconnected || Date.now() >= deadline) throw err;
          while (!hub.isOnlineByName(host) && Date.now() < deadline) await sleep(opts.pollMs ?? ROLLOUT_DEFAULTS.agentPollMs);
        }
      }
    },

    async callWithInput<N extends OperationName>(host: string, op: N, params: OperationParams<N>, input: () => AsyncIterable<Buffer>, o: { operationId: string; timeoutMs: number }): Promise<OperationResult<N>> {
      const { stream, result } = hub.open(host, op, { ...params, operationId: o.operationId }, { timeoutMs: o.timeoutMs });
      // An agent that already recorded this operation answers without reading: stop sending then.
      const answered = result.then(() => true, () => true);
      const pump = (async () => {
        for await (const chunk of input()) if (await Promise.race([answered, stream.write(chunk).then(() => false)])) return;
        stream.end();
      })();
      pump.catch(() => undefined);
      const raw = await result;
      return parseOperationResult(op, raw);
    },
  };
}
