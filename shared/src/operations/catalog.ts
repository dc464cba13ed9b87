import type { z } from 'zod';
import { accessoryBootParams, accessoryBootResult, accessoryDetailsResult, accessoryExecParams, accessoryLogsParams, accessoryRemoveParams, accessorySimpleParams } from './accessory.js';
import { appBootParams, appBootResult, appExecParams, appLiveParams, appMaintenanceParams, appProbeParams, appProbeResult, appProxyRemoveParams, appRemoveParams, appStaleParams, appStaleResult, appStartParams, appStopParams, changeResult, execResult } from './app.js';
import { auditReadParams, auditReadResult, containerLogsParams, containersListResult, imagesListResult, inventoryParams, inventoryResult, listParams, logsResult, pruneAllParams, pruneAllResult, pruneContainersParams, pruneImagesParams, pruneResult } from './host.js';
import { imageLoadParams, imagePullParams, imagePullResult, imageTagParams, imageTagResult, registryLoginParams, registryLoginResult } from './image.js';
import { proxyBootParams, proxyBootResult, proxyDetailsResult, proxyLogsParams, proxyRebootParams, proxyRemoveParams, proxySimpleParams, proxyStopParams } from './proxy.js';

/** `required`: the operation streams (progress, logs, exec I/O); `optional`: progress when the caller opens a stream. */
export type StreamMode = 'none' | 'optional' | 'required';

/** One agent RPC method: what it takes, what it answers, whether it changes the host, how it streams. */
export interface OperationSpec<P extends z.ZodTypeAny = z.ZodTypeAny, R extends z.ZodTypeAny = z.ZodTypeAny> {
  params: P;
  result: R;
  /** Mutating operations are recorded by operation id (a retry gets the recorded outcome) and audited. */
  mutates: boolean;
  stream: StreamMode;
  /** For a mutating operation that can also just look (`--stop` absent): true when these params change nothing. */
  readOnlyWith?: (params: unknown) => boolean;
}

const read = { mutates: false, stream: 'none' } as const;
const change = { mutates: true, stream: 'none' } as const;
/** Changes the host, streaming progress (pull, boot) when the caller asks for it. */
const changeWithProgress = { mutates: true, stream: 'optional' } as const;
/** Logs and exec: output is the point. */
const streaming = { mutates: false, stream: 'required' } as const;

/**
 * Every container and kamal-proxy operation of the agent, by RPC method name: the one list the agent
 * serves (agent/src/ops) and the controller calls.
 */
export const OPERATION_CATALOG = {
  'registry.login': { params: registryLoginParams, result: registryLoginResult, ...read },
  'image.pull': { params: imagePullParams, result: imagePullResult, ...changeWithProgress },
  'image.tag': { params: imageTagParams, result: imageTagResult, ...change },
  /** The caller streams a `docker save` archive as input. */
  'image.load': { params: imageLoadParams, result: imagePullResult, mutates: true, stream: 'required' },

  'app.boot': { params: appBootParams, result: appBootResult, ...changeWithProgress },
  'app.stale_containers': { params: appStaleParams, result: appStaleResult, ...change, readOnlyWith: (p: unknown) => (p as { stop?: unknown } | null)?.stop !== true },
  'app.start': { params: appStartParams, result: changeResult, ...change },
  'app.stop': { params: appStopParams, result: changeResult, ...change },
  'app.remove': { params: appRemoveParams, result: changeResult, ...change },
  'app.maintenance': { params: appMaintenanceParams, result: changeResult, ...change },
  'app.live': { params: appLiveParams, result: changeResult, ...change },
  'app.proxy_remove': { params: appProxyRemoveParams, result: changeResult, ...change },
  'app.exec': { params: appExecParams, result: execResult, ...streaming },
  'app.probe': { params: appProbeParams, result: appProbeResult, ...read },

  'proxy.boot': { params: proxyBootParams, result: proxyBootResult, ...changeWithProgress },
  'proxy.reboot': { params: proxyRebootParams, result: proxyBootResult, ...changeWithProgress },
  'proxy.start': { params: proxySimpleParams, result: changeResult, ...change },
  'proxy.stop': { params: proxyStopParams, result: changeResult, ...change },
  'proxy.details': { params: proxySimpleParams, result: proxyDetailsResult, ...read },
  'proxy.logs': { params: proxyLogsParams, result: logsResult, ...streaming },
  'proxy.remove': { params: proxyRemoveParams, result: changeResult, ...change },

  'accessory.boot': { params: accessoryBootParams, result: accessoryBootResult, ...changeWithProgress },
  'accessory.reboot': { params: accessoryBootParams, result: accessoryBootResult, ...changeWithProgress },
  'accessory.start': { params: accessorySimpleParams, result: changeResult, ...change },
  'accessory.stop': { params: accessorySimpleParams, result: changeResult, ...change },
  'accessory.restart': { params: accessorySimpleParams, result: changeResult, ...change },
  'accessory.remove': { params: accessoryRemoveParams, result: changeResult, ...change },
  'accessory.details': { params: accessorySimpleParams, result: accessoryDetailsResult, ...read },
  'accessory.logs': { params: accessoryLogsParams, result: logsResult, ...streaming },
  'accessory.exec': { params: accessoryExecParams, result: execResult, ...streaming },

  'containers.logs': { params: containerLogsParams, result: logsResult, ...streaming },
  'containers.list': { params: listParams, result: containersListResult, ...read },
  'images.list': { params: listParams, result: imagesListResult, ...read },
  'prune.containers': { params: pruneContainersParams, result: pruneResult, ...change },
  'prune.images': { params: pruneImagesParams, result: pruneResult, ...change },
  'prune.all': { params: pruneAllParams, result: pruneAllResult, ...change },
  inventory: { params: inventoryParams, result: inventoryResult, ...read },
  'audit.read': { params: auditReadParams, result: auditReadResult, ...read },
} satisfies Record<string, OperationSpec>;

/** The agent's RPC method names for container and kamal-proxy operations. */
export type OperationName = keyof typeof OPERATION_CATALOG;

/** Every operation name, in catalog order. */
export const OPERATION_NAMES: readonly OperationName[] = Object.freeze(Object.keys(OPERATION_CATALOG) as OperationName[]);

/** What a caller sends (defaults may be left out). */
export type OperationParams<N extends OperationName> = z.input<(typeof OPERATION_CATALOG)[N]['params']>;
/** What the agent answers, once parsed with the result schema. */
export type OperationResult<N extends OperationName> = z.output<(typeof OPERATION_CATALOG)[N]['result']>;

export function isOperationName(name: string): name is OperationName {
  return Object.hasOwn(OPERATION_CATALOG, name);
}

/** Parses an agent's raw result with the operation's result schema; throws an Error naming the operation and the first bad path when it does not match. */
export function parseOperationResult<N extends OperationName>(name: N, raw: unknown): OperationResult<N> {
  if (!isOperationName(name)) throw new Error(`unknown operation ${String(name)}`);
  const schema: z.ZodTypeAny = OPERATION_CATALOG[name].result;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${name}: unexpected result from the agent: ${issue?.path.join('.') || 'result'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data as OperationResult<N>;
}
