import { z } from 'zod';
import { KAMAL_DEFAULTS } from '../config/kamal-defaults.js';
import { auditMessage, containerName, dockerOptions, envSpec, imageRef, logging, namePart, registryAuth, seconds, serviceScope } from './common.js';

/** A role of a service on this host; the agent derives `<service>-<role>[-<dest>]` from it. */
export const roleScope = serviceScope.extend({ role: namePart });

/** Where the new container's health is decided: kamal-proxy (proxied roles) or the readiness poller. */
export const proxyDeploy = z.object({
  /** `app_port`: the target is `<container id>:<appPort>`. */
  appPort: z.number().int().min(1).max(65535).default(80),
  /**
   * Every `kamal-proxy deploy` argument after `--target`, unquoted, in Kamal's order
   * (`@drover/shared/config` kamalProxyDeployArgv minus its first four entries).
   */
  args: z.array(z.string()).default([]),
  /** Custom TLS certificate (proxy.ssl with certificate_pem/private_key_pem), placed under the proxy's apps-config. */
  tls: z.object({ certificatePem: z.string().min(1), privateKeyPem: z.string().min(1) }).nullable().default(null),
});

export const appBootParams = roleScope.extend({
  version: namePart,
  /** `<repository>:<version>` */
  image: imageRef,
  /** `<repository>:latest[-dest]`: preferred ancestor when reading the running version. */
  latestImage: imageRef.nullable().default(null),
  /** KAMAL_HOST and the hostname rule: the host as written in deploy.yml. Defaults to the agent's host name. */
  host: z.string().min(1).nullable().default(null),
  env: envSpec.default({}),
  /** Root labels then role labels; the agent puts service/role/destination first, as Kamal does. */
  labels: z.record(z.string()).default({}),
  restartPolicy: z.string().default(KAMAL_DEFAULTS.restartPolicy),
  logging: logging.default({}),
  /** Raw `--volume` entries, as written in deploy.yml. */
  volumes: z.array(z.string().min(1)).default([]),
  options: dockerOptions,
  /** `cmd:` split into words (shellwords) by the controller; null runs the image's CMD. */
  cmd: z.array(z.string()).nullable().default(null),
  /** `asset_path` (`path[:opts]`), honoured for proxied roles only, as in Kamal. */
  assetPath: z.string().min(1).nullable().default(null),
  proxy: proxyDeploy.nullable().default(null),
  deployTimeout: seconds.default(KAMAL_DEFAULTS.deployTimeoutSeconds),
  readinessDelay: seconds.default(KAMAL_DEFAULTS.readinessDelaySeconds),
  /** `docker stop -t` for the old version; null lets Docker use its default (10s). */
  stopTimeout: seconds.nullable().default(null),
  /** `error_pages_path` files (`4xx.html`/`5xx.html` → content), placed under `error_pages/<version>`. */
  errorPages: z.record(z.string().regex(/^[45]\d\d\.html$/), z.string()).nullable().default(null),
}).strict();
export type AppBootParams = z.input<typeof appBootParams>;

export const appBootResult = z.object({
  container: z.object({ id: z.string(), name: z.string() }),
  /** The same-version container that was renamed `…_replaced_<hex>`, if any. */
  renamed: z.string().nullable(),
  oldVersion: z.string().nullable(),
  /** Containers of the old version that were stopped. */
  stopped: z.array(z.string()),
  /** `healthy` from kamal-proxy or Docker's health check; `running` after readiness_delay without one. */
  status: z.string(),
  hostname: z.string(),
  messages: z.array(z.string()),
});

/** `app.stale_containers`: running containers of the role other than the current running version (Kamal's rule), optionally stopped. */
export const appStaleParams = roleScope.extend({ latestImage: imageRef.nullable().default(null), stop: z.boolean().default(false), stopTimeout: seconds.nullable().default(null) }).strict();
export const appStaleResult = z.object({ containers: z.array(z.string()), stopped: z.array(z.string()) });

/** `app.start`: `docker start` the version's container; proxied roles are deployed to kamal-proxy again (no health wait beyond kamal-proxy's). */
export const appStartParams = roleScope.extend({ version: namePart, latestImage: imageRef.nullable().default(null), proxy: proxyDeploy.nullable().default(null) }).strict();
/** `app.stop`: proxied roles are removed from kamal-proxy first, then the running container is stopped. */
export const appStopParams = roleScope.extend({ proxied: z.boolean().default(false), stopTimeout: seconds.nullable().default(null) }).strict();
/** `app.remove`: stop, remove the role's containers, the service's images and (with removeAppDirectory) `apps/<svc-dest>`. */
export const appRemoveParams = roleScope.extend({
  proxied: z.boolean().default(false),
  stopTimeout: seconds.nullable().default(null),
  removeImages: z.boolean().default(true),
  removeAppDirectory: z.boolean().default(true),
}).strict();
/** `app.maintenance` (kamal-proxy stop) and `app.live` (kamal-proxy resume). */
export const appMaintenanceParams = roleScope.extend({ drainTimeout: seconds.nullable().default(null), message: z.string().nullable().default(null) }).strict();
export const appLiveParams = roleScope.strict();
/** `app.proxy_remove`: `kamal-proxy remove <service-role[-dest]>`. */
export const appProxyRemoveParams = roleScope.strict();

export const changeResult = z.object({ containers: z.array(z.string()), messages: z.array(z.string()) });

/**
 * `app.probe` (Drover's canary soak): is the role's container of `version` still well? Running, not
 * unhealthy by Docker's HEALTHCHECK, and (for proxied roles) answering the health path on `appPort`
 * from the host's network, where kamal-proxy's own check goes.
 */
export const appProbeParams = roleScope.extend({
  version: namePart,
  /** null for roles without kamal-proxy: state and Docker health only. */
  appPort: z.number().int().min(1).max(65535).nullable().default(null),
  healthPath: z.string().regex(/^\/[^\s]*$/, 'is not a path').max(1024).default(KAMAL_DEFAULTS.healthcheck.path),
}).strict();
export const appProbeResult = z.object({
  container: containerName,
  healthy: z.boolean(),
  state: z.string(),
  /** What the health path answered (null when not probed or nothing answered). */
  http: z.object({ status: z.number().int(), ms: z.number() }).nullable(),
  /** Why it is not healthy, in one line; null when healthy. */
  problem: z.string().nullable(),
});

/** `app.exec`: a new `<prefix>-exec-<version>-<hex>` container, or `reuse` the running one. */
export const appExecParams = roleScope.extend({
  version: namePart,
  image: imageRef,
  command: z.array(z.string()).min(1),
  reuse: z.boolean().default(false),
  interactive: z.boolean().default(false),
  tty: z.boolean().default(false),
  /** Extra `--env k=v` for this exec only. */
  env: z.record(z.string()).default({}),
  /** For the new-container form, the role's env/logging/volumes/options exactly as app.boot gets them. */
  roleEnv: envSpec.default({}),
  host: z.string().min(1).nullable().default(null),
  logging: logging.default({}),
  volumes: z.array(z.string().min(1)).default([]),
  options: dockerOptions,
  /** Kamal runs one-off containers with `--rm`; set false to keep them (`--detach`). */
  detach: z.boolean().default(false),
  /** Credentials to pull the image when the host lacks it (what `docker run` does after Kamal's registry login). */
  registry: registryAuth.nullable().default(null),
  /** Kamal's audit line for this exec, recorded on the host before the command runs. */
  audit: auditMessage.nullable().default(null),
}).strict();
export const execResult = z.object({ exitCode: z.number().int(), container: containerName });
