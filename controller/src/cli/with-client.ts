import type { OperatorClient } from '../client/operator-client.js';
import type { Invocation } from './framework/spec.js';

/**
 * Runs `fn` with an operator client for the invocation's context (`--context`, else `DROVER_CONTEXT`,
 * else the current one; DROVER_CONTROLLER/DROVER_TOKEN override), closing it afterwards. Loaded lazily:
 * commands that never talk to a controller do not pay for undici.
 */
export async function withClient<T>(inv: Pick<Invocation, 'globals' | 'io'>, fn: (c: OperatorClient) => Promise<T>): Promise<T> {
  const { loadCredentials } = await import('../client/operator-config.js');
  const { OperatorClient } = await import('../client/operator-client.js');
  const env = inv.globals.context ? { ...inv.io.env, DROVER_CONTEXT: inv.globals.context } : inv.io.env;
  const client = new OperatorClient(loadCredentials(env));
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
