/** The RPC surface: validates each call's params, then runs it on the router. */
import { array, boolean, number, object, string, withDefault } from './schema.js';
import { deploymentOptionsSchema, serviceOptionsSchema, targetOptionsSchema } from './options.js';
import type { Router } from './router.js';
import type { RpcHandler } from './rpc.js';

const strings = withDefault(array(string), [] as string[]);

export const deployParams = object({
  service: string,
  targets: array(string),
  readers: strings,
  deployment: deploymentOptionsSchema,
  serviceOptions: serviceOptionsSchema,
  targetOptions: targetOptionsSchema,
});
export type DeployParams = ReturnType<typeof deployParams>;

export const serviceParams = object({ service: string });
export const pauseParams = object({ service: string, drainTimeoutMs: number, pauseTimeoutMs: number });
export const stopParams = object({ service: string, drainTimeoutMs: number, message: withDefault(string, '') });
export const rolloutDeployParams = object({
  service: string, targets: array(string), readers: strings, deployTimeoutMs: number, drainTimeoutMs: number,
});
export const rolloutSetParams = object({ service: string, percentage: number, allowlist: strings });
export const listParams = withDefault(object({ json: withDefault(boolean, false) }), { json: false });

export function commandHandlers(router: Router): Record<string, RpcHandler> {
  return {
    Deploy: (p) => router.deploy(deployParams(p, 'params')),
    Remove: (p) => router.remove(serviceParams(p, 'params').service),
    List: () => ({ services: router.list() }),
    Pause: (p) => {
      const a = pauseParams(p, 'params');
      return router.pause(a.service, a.drainTimeoutMs, a.pauseTimeoutMs);
    },
    Stop: (p) => {
      const a = stopParams(p, 'params');
      return router.stop(a.service, a.drainTimeoutMs, a.message);
    },
    Resume: (p) => router.resume(serviceParams(p, 'params').service),
    RolloutDeploy: (p) => {
      const a = rolloutDeployParams(p, 'params');
      return router.rolloutDeploy(a.service, a.targets, a.readers, a.deployTimeoutMs, a.drainTimeoutMs);
    },
    RolloutSet: (p) => {
      const a = rolloutSetParams(p, 'params');
      return router.rolloutSet(a.service, a.percentage, a.allowlist);
    },
    RolloutStop: (p) => router.rolloutStop(serviceParams(p, 'params').service),
  };
}
