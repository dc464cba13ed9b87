import type { OperatorClient } from '../client/operator-client.js';

/**
 * Runs `fn` with an operator client for the selected context (`DROVER_CONTEXT`, the current one, or
 * DROVER_CONTROLLER/DROVER_TOKEN), closing it afterwards. Loaded lazily: commands that never talk to a
 * controller do not pay for undici.
 */
export async function withClient<T>(fn: (c: OperatorClient) => Promise<T>): Promise<T> {
  const { loadCredentials } = await import('../client/operator-config.js');
  const { OperatorClient } = await import('../client/operator-client.js');
  const client = new OperatorClient(loadCredentials());
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
