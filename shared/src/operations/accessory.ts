import { z } from 'zod';
import { KAMAL_DEFAULTS } from '../config/kamal-defaults.js';
import { auditMessage, containerName, dockerOptions, envSpec, imageRef, logSelection, logging, namePart, registryAuth, seconds, serviceScope } from './common.js';
import { proxyDeploy } from './app.js';

/** A file for an accessory: the controller sends the content (ERB already rendered), the agent writes it. */
export const accessoryFile = z.object({
  /** Host path: relative paths are under the deploy user's home (Kamal's `$PWD/<acc-service>/…`). */
  hostPath: z.string().min(1),
  /** Where it is mounted in the container. */
  remote: z.string().min(1),
  content: z.string(),
  /** Octal text, Kamal's default `755`. */
  mode: z.string().regex(/^[0-7]{3,4}$/).default('755'),
  /** `uid[:gid]`, numeric (no user database lookups on the host). */
  owner: z.string().regex(/^\d+(:\d+)?$/).nullable().default(null),
  options: z.string().nullable().default(null),
});
/** Where a file or directory the boot placed is mounted. */
export const accessoryMount = accessoryFile.pick({ hostPath: true, remote: true, options: true });
export const accessoryDirectory = accessoryFile.omit({ content: true, mode: true }).extend({ mode: z.string().regex(/^[0-7]{3,4}$/).nullable().default(null) });

export const accessoryScope = serviceScope.extend({
  /** The accessory's name in deploy.yml (for messages). */
  name: namePart,
  /** Container name and `service` label: `<service>-<name>` unless `service:` is set. */
  accessoryService: containerName,
});

export const accessoryBootParams = accessoryScope.extend({
  image: imageRef,
  registry: registryAuth.nullable().default(null),
  host: z.string().min(1).nullable().default(null),
  cmd: z.array(z.string()).nullable().default(null),
  /** `--publish` value (`3306:3306`, `127.0.0.1:3306:3306`). */
  publish: z.string().min(1).nullable().default(null),
  labels: z.record(z.string()).default({}),
  restartPolicy: z.string().default(KAMAL_DEFAULTS.restartPolicy),
  options: dockerOptions,
  env: envSpec.default({}),
  files: z.array(accessoryFile).default([]),
  directories: z.array(accessoryDirectory).default([]),
  /** Raw `volumes:` entries (before files and directories, as Kamal orders them). */
  volumes: z.array(z.string().min(1)).default([]),
  network: z.string().min(1).default('kamal'),
  logging: logging.default({}),
  proxy: proxyDeploy.nullable().default(null),
}).strict();
export type AccessoryBootParams = z.input<typeof accessoryBootParams>;
export const accessoryBootResult = z.object({ container: z.string(), id: z.string().nullable(), action: z.enum(['created', 'skipped']), messages: z.array(z.string()) });

export const accessorySimpleParams = accessoryScope.extend({
  /** Stop: remove it from kamal-proxy first (also implied by `proxy`). */
  proxied: z.boolean().default(false),
  stopTimeout: seconds.nullable().default(null),
  /** Start/restart of a proxied accessory: deployed to kamal-proxy again, as Kamal does (same as boot's `proxy`). */
  proxy: proxyDeploy.nullable().default(null),
}).strict();
export const accessoryRemoveParams = accessoryScope.extend({
  proxied: z.boolean().default(false),
  removeImage: z.string().nullable().default(null),
  /** Host paths (relative to the home) of the accessory's files and directories, removed with it. */
  removePaths: z.array(z.string().min(1)).default([]),
}).strict();
export const accessoryLogsParams = accessoryScope.merge(logSelection).strict();
export const accessoryExecParams = accessoryScope.extend({
  command: z.array(z.string()).min(1),
  interactive: z.boolean().default(false),
  tty: z.boolean().default(false),
  /** `--reuse`: run in the accessory's container (`docker exec`). Otherwise a new one, removed after (`docker run --rm`). */
  reuse: z.boolean().default(false),
  /** For a new container: what Kamal's `docker run` takes from the accessory (its image, network, env and volumes). */
  container: accessoryBootParams.pick({ image: true, registry: true, host: true, env: true, volumes: true, network: true })
    .extend({ mounts: z.array(accessoryMount).default([]) }).nullable().default(null),
  /** Kamal's audit line for this exec, recorded on the host before the command runs. */
  audit: auditMessage.nullable().default(null),
}).strict();
export const accessoryDetailsResult = z.object({ present: z.boolean(), id: z.string().nullable(), image: z.string().nullable(), state: z.string().nullable(), status: z.string().nullable(), ports: z.array(z.string()) });
