import type { BuilderConfig } from './schema/builder.js';
import type { Credential } from './schema/registry.js';
import type { DeployConfig, HookLevel } from './schema/root.js';
import type { HostEntry } from './schema/servers.js';

/**
 * The resolved configuration: everything the deploy planner and the agents need, computed once
 * from deploy.yml (+ destination file) by pure functions. Field names are stable; additions are
 * allowed, renames and removals are not (docs/configuration.md).
 * Secret *values* never appear here — only the names of secrets to look up.
 */
export interface ResolvedConfig {
  service: string;
  destination: string | null;
  /** Files that were read, base first. */
  files: string[];
  version: string;
  /** First 7 characters, unless the version contains `_` (then the whole version). */
  abbreviatedVersion: string;
  /** `<service>[-<destination>]`: the audit/lock/apps directory name. */
  serviceAndDestination: string;
  image: ResolvedImage;
  registry: ResolvedRegistry;
  primaryRole: string;
  /** The first host of the primary role; null when there are no app servers (accessories only). */
  primaryHost: string | null;
  roles: ResolvedRole[];
  /** App hosts then accessory hosts, each once, in file order. */
  hosts: string[];
  accessories: ResolvedAccessory[];
  /** Root `volumes` (the role list repeats them). */
  volumes: string[];
  timeouts: { deploy: number; drain: number; readinessDelay: number; stop: number | null };
  retainContainers: number;
  minimumVersion: string | null;
  boot: { limit: number | string | null; wait: number | null; parallelRoles: boolean };
  hooks: { path: string; output: HookLevel | Record<string, HookLevel> | null };
  secretsPath: string;
  errorPagesPath: string | null;
  requireDestination: boolean;
  allowEmptyRoles: boolean;
  aliases: Record<string, string>;
  builder: BuilderConfig | null;
  /** kamal-proxy container settings per host; null for a host means "legacy boot config files". */
  proxyRunByHost: Record<string, ResolvedProxyRun | null>;
  drover: {
    controller: string | null;
    project: string;
    /** Seconds `offline: wait` waits for agents to connect. */
    agentTimeout: number;
    /** What a deployment does with selected agents that are not connected. */
    offline: 'fail' | 'skip' | 'wait';
    /** Failed health gate: hosts that already switched go back to their previous version. */
    autoRollback: boolean;
    /** `x-drover/roles/<role>/labels`: the agent labels that add hosts to a role. */
    roleLabels: Record<string, Record<string, string>>;
    /** A first boot group that must stay healthy for `soakSeconds` before the others boot; null when not set. */
    canary: { hosts: number | string; soakSeconds: number } | null;
  };
  /** The validated document, Kamal's key names, for anything not lifted above. */
  source: DeployConfig;
  /**
   * The merged document before validation, as written (after ERB, YAML and the destination merge;
   * root `x-*` keys removed): Kamal's `raw_config`, for views that print sections as written
   * (`kamal config` prints `accessories`, `builder`, `sshkit` this way). Key order and value types
   * are the file's; secret values are never in it (only secret names).
   */
  raw: Record<string, unknown>;
}

export interface ResolvedImage {
  /** `image:` as written. */
  name: string;
  /** `[registry.server/]image` */
  repository: string;
  /** `<repository>:<version>` */
  ref: string;
  /** `latest` or `latest-<destination>` */
  latestTag: string;
  /** `<repository>:<latestTag>` */
  latestRef: string;
}

export interface ResolvedRegistry {
  server: string | null;
  /** `localhost:PORT`: no login; pulled through the controller. */
  local: boolean;
  username: Credential | null;
  password: Credential | null;
}

export interface SecretEnv {
  /** The variable name inside the container. */
  name: string;
  /** The secret it reads (differs from `name` with `NAME:SECRET` aliasing). */
  secret: string;
}

export interface ResolvedEnv {
  /** Clear values. `""` means a bare `--env KEY` (Docker copies it from the host environment). */
  clear: Record<string, string>;
  secrets: SecretEnv[];
}

export interface ResolvedLogging {
  driver: string | null;
  /** With neither driver nor options configured: `{ "max-size": "10m" }`. */
  options: Record<string, string>;
}

export interface ResolvedRole {
  name: string;
  primary: boolean;
  hosts: HostEntry[];
  /** `<service>-<role>[-<destination>]`; also the kamal-proxy service name. */
  containerPrefix: string;
  /** `<containerPrefix>-<version>` */
  containerName: string;
  cmd: string | null;
  /** service, role, destination (`""` without a destination: Kamal's bare label), root then role labels. */
  labels: Record<string, string>;
  restartPolicy: string;
  /** Extra docker flags from `options`, without `restart`. */
  options: Record<string, unknown>;
  logging: ResolvedLogging;
  /** Root `volumes` entries, as written. */
  volumes: string[];
  /** `docker stop -t`: role, then root `stop_timeout`; roles without a proxy fall back to `drain_timeout`. */
  stopTimeout: number | null;
  /** Root + role env, before host tags. */
  env: ResolvedEnv;
  /** Root + role + the host's tag envs, per host. */
  envByHost: Record<string, ResolvedEnv>;
  assetPath: string | null;
  proxy: ResolvedProxy | null;
}

/** One kamal-proxy deploy option in Kamal's order: `true` is a bare flag, `false` is `="false"`. */
export type ProxyOption = [flag: string, value: string | boolean | string[]];

export interface ResolvedProxy {
  hosts: string[];
  appPort: number;
  ssl: boolean;
  /** Secret names for custom certificates, when given. */
  customCertificates: { certificatePem: string; privateKeyPem: string } | null;
  healthcheck: { interval: number; timeout: number; path: string };
  buffering: { requests: boolean; responses: boolean; memory: number | null; maxRequestBody: number | null; maxResponseBody: number | null };
  pathPrefixes: string[];
  responseTimeout: number | null;
  stripPathPrefix: boolean | null;
  forwardHeaders: boolean | null;
  sslRedirect: boolean | null;
  logging: { requestHeaders: string[]; responseHeaders: string[] };
  run: ResolvedProxyRun | null;
  /** Everything after `--target`, in Kamal's order, nil values dropped. */
  deployOptions: ProxyOption[];
}

export interface ResolvedProxyRun {
  httpPort: number;
  httpsPort: number;
  bindIps: string[];
  publish: boolean;
  metricsPort: number | null;
  debug: boolean;
  logMaxSize: string;
  registry: string | null;
  repository: string;
  version: string;
  /** `[registry/]repository:version` */
  image: string;
  options: Record<string, unknown>;
}

export interface ResolvedMount {
  local: string;
  remote: string;
  mode: string | null;
  owner: string | null;
  options: string | null;
  /** Where it lives on the host, relative to the deploy user's home (Kamal's `$PWD`), or absolute. */
  hostPath: string;
}

export interface ResolvedAccessory {
  name: string;
  /** Container name and `service` label: `<service>-<name>` unless set. */
  service: string;
  image: string;
  registry: ResolvedRegistry | null;
  hosts: string[];
  cmd: string | null;
  /** `--publish` value: `"3306"` becomes `"3306:3306"`. */
  publish: string | null;
  labels: Record<string, string>;
  restartPolicy: string;
  options: Record<string, unknown>;
  env: ResolvedEnv;
  files: ResolvedMount[];
  directories: ResolvedMount[];
  /** All `--volume` values in Kamal's order: `volumes`, then files, then directories (`$PWD/…` kept literal). */
  volumeArgs: string[];
  network: string;
  logging: ResolvedLogging;
  proxy: ResolvedProxy | null;
}
