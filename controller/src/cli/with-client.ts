import type { OperatorClient } from '../client/operator-client.js';
import type { Invocation } from './framework/spec.js';

/**
 * Runs `fn` with an operator client for the invocation's context (`--context`, else `DROVER_CONTEXT`,
 * else the project's `x-drover: controller:`, else the current one; DROVER_CONTROLLER/DROVER_TOKEN
 * override), closing it afterwards. Loaded lazily:
 * commands that never talk to a controller do not pay for undici.
 */
export async function withClient<T>(inv: Pick<Invocation, 'globals' | 'io'>, fn: (c: OperatorClient) => Promise<T>): Promise<T> {
  const { loadCredentials } = await import('../client/operator-config.js');
  const { OperatorClient } = await import('../client/operator-client.js');
  const { env } = inv.io;
  const explicit = inv.globals.context || env.DROVER_CONTEXT || (env.DROVER_CONTROLLER && env.DROVER_TOKEN);
  const projectController = explicit ? undefined : await projectControllerOf(inv);
  const client = new OperatorClient(loadCredentials(env, { context: inv.globals.context, projectController }));
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** `x-drover: controller:` of the project in the working directory (with -c/-d), if there is one. */
async function projectControllerOf(inv: Pick<Invocation, 'globals' | 'io'>): Promise<string | undefined> {
  const { loadConfigFiles } = await import('@drover/shared/config');
  try {
    const { drover } = await loadConfigFiles({ cwd: inv.io.cwd, env: inv.io.env, configFile: inv.globals.configFile, destination: inv.globals.destination });
    const controller = (drover as { controller?: unknown } | undefined)?.controller;
    return typeof controller === 'string' ? controller : undefined;
  } catch {
    // Not in a project (or its config is broken, which the command itself reports): no project controller.
    return undefined;
  }
}
