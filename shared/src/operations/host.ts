import { z } from 'zod';
import { KAMAL_DEFAULTS } from '../config/kamal-defaults.js';
import { containerName, containerState, healthStatus, logSelection, namePart, serviceName, serviceScope } from './common.js';

/** `containers.logs`: one container by name, or the role's running container (Kamal's `app logs`). */
export const containerLogsParams = logSelection.extend({
  container: containerName.nullable().default(null),
  /** With no container: the latest container with these labels (service/role/destination). */
  service: serviceName.nullable().default(null),
  role: namePart.nullable().default(null),
  destination: namePart.nullable().default(null),
}).strict();
export const logsResult = z.object({ container: z.string(), lines: z.number().int() });

/** `containers.list` / `images.list`: Kamal's `app containers` / `app images` for a service. */
export const listParams = z.object({ service: serviceName, destination: namePart.nullable().default(null), role: namePart.nullable().default(null) }).strict();

/** `prune.containers`: keep the newest `retain` stopped containers of the service, remove the rest (all destinations). */
export const pruneContainersParams = serviceScope.extend({ retain: z.number().int().min(1).default(KAMAL_DEFAULTS.retainContainers) }).strict();
/** `prune.images`: dangling images of the service, then tagged ones no container uses, except `latestImage` and `<none>`. */
export const pruneImagesParams = serviceScope.extend({ latestImage: z.string().min(1) }).strict();
export const pruneResult = z.object({ removed: z.array(z.string()) });
/**
 * `prune.all` (Kamal's `prune all`, the end of a deploy): `prune.containers` then `prune.images` in one call,
 * so a deploy's tail costs one round trip per host instead of two.
 */
export const pruneAllParams = pruneContainersParams.merge(pruneImagesParams).strict();
export const pruneAllResult = z.object({ containers: z.array(z.string()), images: z.array(z.string()) });

export const managedContainer = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['app', 'accessory', 'proxy', 'replaced', 'exec']),
  service: z.string().nullable(),
  role: z.string().nullable(),
  destination: z.string().nullable(),
  version: z.string().nullable(),
  image: z.string(),
  state: containerState.or(z.string()),
  health: healthStatus,
  createdAt: z.number().int(),
});
export type ManagedContainer = z.infer<typeof managedContainer>;
export const inventoryResult = z.object({
  host: z.string(),
  collectedAt: z.string(),
  containers: z.array(managedContainer),
  proxy: managedContainer.nullable(),
});
export type Inventory = z.infer<typeof inventoryResult>;
/** `inventory`: every managed container on the host; a service scope may be sent and is ignored. */
export const inventoryParams = listParams.partial().strict();

/** `containers.list`: the service's containers, classified as in the inventory (newest first). */
export const containersListResult = z.object({ containers: z.array(managedContainer) });
/** `images.list`: the images labelled with the service (`docker image ls --filter label=service=S`). */
export const imagesListResult = z.object({
  images: z.array(z.object({
    id: z.string(),
    tags: z.array(z.string()),
    /** Unix seconds. */
    created: z.number().int(),
    /** Bytes. */
    size: z.number().int(),
  })),
});

/** `audit.read`: the tail of `<run dir>/<svc>[-dest]-audit.log` (Kamal's `kamal audit`). */
export const auditReadParams = z.object({ service: serviceName, destination: namePart.nullable().default(null), lines: z.number().int().min(1).max(100_000).default(50) }).strict();
export const auditReadResult = z.object({ path: z.string(), lines: z.array(z.string()) });
