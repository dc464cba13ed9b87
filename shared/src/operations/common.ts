import { z } from 'zod';

/** Kamal's `service` rule; also what keeps names and paths built from it safe. */
export const serviceName = z.string().regex(/^[a-z0-9_-]+$/i, 'must contain only letters, digits, "-" and "_"');
/** Roles, destinations, accessory names and versions end up in container names and host paths. */
export const namePart = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a plain name (letters, digits, ".", "-", "_")');
export const containerName = z.string().min(1).max(255).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'is not a valid container name');
export const imageRef = z.string().min(1).max(512).regex(/^[^\s]+$/, 'must not contain whitespace');
export const seconds = z.number().int().min(0).max(24 * 3600);

/** Text written into one line of a host log: no control characters (a newline would forge another line). */
export const logLineText = (max: number) => z.string().min(1).max(max).regex(/^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/, 'must be one line without control characters');

/** Who and what a change is recorded for in the host audit log (Kamal's `[performer] [dest] [role]`). */
export const auditContext = {
  /** Kamal's KAMAL_PERFORMER: `git config user.email`, else the local user. */
  performer: logLineText(200).default('drover'),
};

/** A service's identity on a host: `<service>[-<destination>]` names its audit log and its apps directory. */
/** A message for the host audit log (an exec's command line may span lines: the agent escapes control characters). */
export const auditMessage = z.string().min(1).max(4096);

export const serviceScope = z.object({
  service: serviceName,
  destination: namePart.nullable().default(null),
  ...auditContext,
});

/** Credentials for one registry. Sent over the authenticated channel; never logged or stored on disk. */
export const registryAuth = z.object({
  /** host[:port] as in image names; null/absent for Docker Hub. */
  server: z.string().min(1).nullable().default(null),
  username: z.string().min(1),
  password: z.string().min(1),
});
export type RegistryAuth = z.infer<typeof registryAuth>;

export const logging = z.object({
  driver: z.string().min(1).nullable().default(null),
  /** With neither driver nor options configured Kamal uses `{ "max-size": "10m" }`; the controller sends that. */
  options: z.record(z.string()).default({ 'max-size': '10m' }),
});
export type Logging = z.infer<typeof logging>;

/**
 * Kamal's `options:` hash of extra `docker run` flags: `true` is a bare flag, arrays repeat the flag.
 * The agent translates the flags it knows into the Engine API and refuses the others by name.
 */
export const dockerOptions = z.record(z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))])).default({});
export type DockerOptions = z.infer<typeof dockerOptions>;

/** Clear values and secret values for a container's environment. */
export const envSpec = z.object({
  /** `""` is Kamal's bare `--env KEY`: the value is taken from the host's environment. `${VAR}` is expanded from it too. */
  clear: z.record(z.string()).default({}),
  /** Written to the env file (0600) and never echoed back. */
  secrets: z.record(z.string()).default({}),
});
export type EnvSpec = z.infer<typeof envSpec>;

/** What `docker inspect` says about a container's health, for inventory and failure reports. */
export const containerState = z.enum(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);
export const healthStatus = z.enum(['starting', 'healthy', 'unhealthy', 'none']);

/** Log selection, as `kamal app logs` / `docker logs` take it. */
export const logSelection = z.object({
  follow: z.boolean().default(false),
  /** A docker `--since` value: a duration (`5m`), an RFC 3339 date or a Unix timestamp. */
  since: z.string().min(1).nullable().default(null),
  lines: z.number().int().min(0).max(1_000_000).nullable().default(null),
  /** Kamal pipes through `grep`; the agent filters lines containing this text (or matching it as a regexp with grepRegex). */
  grep: z.string().min(1).nullable().default(null),
  grepOptions: z.string().nullable().default(null),
  timestamps: z.boolean().default(true),
});
export type LogSelection = z.infer<typeof logSelection>;
