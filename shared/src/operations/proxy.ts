import { z } from 'zod';
import { dockerOptions, imageRef, logSelection, registryAuth, seconds, serviceScope } from './common.js';

/** Kamal's `proxy.run` settings, resolved; null in `proxy.boot` means "legacy boot config files" (.kamal/proxy/*). */
export const proxyRun = z.object({
  httpPort: z.number().int().min(1).max(65535).default(80),
  httpsPort: z.number().int().min(1).max(65535).default(443),
  bindIps: z.array(z.string().min(1)).default([]),
  publish: z.boolean().default(true),
  metricsPort: z.number().int().min(1).max(65535).nullable().default(null),
  debug: z.boolean().default(false),
  logMaxSize: z.string().min(1).default('10m'),
  /** `[registry/]repository:version`; Kamal's default is basecamp/kamal-proxy:v0.9.2. */
  image: imageRef.default('basecamp/kamal-proxy:v0.9.2'),
  options: dockerOptions,
});
export type ProxyRun = z.infer<typeof proxyRun>;

const proxyBootBase = serviceScope.extend({
  /** null: read `<run dir>/proxy/{options,image,image_version,run_command}` like Kamal's legacy boot. */
  run: proxyRun.nullable().default(null),
  /** Credentials for pulling the proxy image when it is not on the host. */
  registry: registryAuth.nullable().default(null),
});

/**
 * `proxy.boot`: network `kamal`, the minimum-version check on an existing proxy, mkdir apps-config,
 * then start the existing `kamal-proxy` container or run a new one. An existing proxy is not reconfigured.
 */
export const proxyBootParams = proxyBootBase.strict();
/** `proxy.reboot`: stop and remove the proxy container, then boot it with the current settings. */
export const proxyRebootParams = proxyBootBase.strict();
export const proxyBootResult = z.object({ container: z.object({ id: z.string(), name: z.literal('kamal-proxy') }), image: z.string(), action: z.enum(['started', 'created', 'running']), messages: z.array(z.string()) });

export const proxySimpleParams = serviceScope.strict();
/** `proxy.stop` takes an optional stop timeout. */
export const proxyStopParams = serviceScope.extend({ stopTimeout: seconds.nullable().default(null) }).strict();
/** `proxy.remove`: stop and remove the container, prune kamal-proxy containers and images, `rm -r <run dir>/proxy`. */
export const proxyRemoveParams = serviceScope.extend({
  removeImages: z.boolean().default(true),
  removeProxyDirectory: z.boolean().default(true),
  /** Kamal's `remove` without `--force`: leave the proxy alone while `<run dir>/apps` still holds another app. */
  onlyWithoutApps: z.boolean().default(false),
}).strict();
export const proxyLogsParams = logSelection.strict();
export const proxyDetailsResult = z.object({
  present: z.boolean(),
  id: z.string().nullable(),
  image: z.string().nullable(),
  version: z.string().nullable(),
  state: z.string().nullable(),
  status: z.string().nullable(),
  ports: z.array(z.string()),
});
