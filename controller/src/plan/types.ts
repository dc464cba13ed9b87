import type { ResolvedConfig } from '@drover/shared/config';
import type { OperationName, OperationParams } from '@drover/shared/operations';

/** Kamal's main commands the controller runs as deployments. */
export const DEPLOY_COMMANDS = ['deploy', 'redeploy', 'rollback', 'setup', 'remove'] as const;

/** Kamal's mutating subcommands the controller runs as deployments (`commands.ts`), spelled as Kamal's CLI takes them. */
export const SUBCOMMANDS = [
  'app boot', 'app start', 'app stop', 'app remove', 'app live', 'app maintenance', 'app stale_containers',
  'proxy boot', 'proxy reboot', 'proxy start', 'proxy stop', 'proxy restart', 'proxy remove',
  'accessory boot', 'accessory reboot', 'accessory start', 'accessory stop', 'accessory restart', 'accessory remove',
  'prune all', 'prune images', 'prune containers',
  'build pull',
] as const;

/** Every command a deployment may run; the deployment record's `command`. */
export const PLAN_COMMANDS = [...DEPLOY_COMMANDS, ...SUBCOMMANDS] as const;

export type Subcommand = (typeof SUBCOMMANDS)[number];
export type PlanCommand = (typeof PLAN_COMMANDS)[number];

/** Hooks that fire while the controller runs a plan; the operator's machine runs them. */
export const ROLLOUT_HOOKS = ['pre-deploy', 'post-deploy', 'pre-app-boot', 'post-app-boot', 'docker-setup', 'pre-proxy-reboot', 'post-proxy-reboot'] as const;
export type RolloutHook = (typeof ROLLOUT_HOOKS)[number];

/** A subcommand's options (Kamal's flags); each applies to the commands named. */
export interface CommandOptions {
  /** `app maintenance --drain-timeout` (seconds); default: the config's `drain_timeout`. */
  drainTimeout?: number;
  /** `app maintenance --message`. */
  message?: string;
  /** `proxy reboot --rolling`: one host at a time. */
  rolling?: boolean;
  /** `proxy remove --force`: also where other apps still use the proxy. */
  force?: boolean;
  /** `prune containers --retain`; default: `retain_containers`. */
  retain?: number;
  /** `accessory …`: accessory names, or `['all']`. */
  accessories?: string[];
  /** `app stale_containers --stop`. */
  stop?: boolean;
}

/** What the planner knows of one enrolled agent (a deploy.yml host is an agent's name). */
export interface AgentPresence {
  online: boolean;
  /** Milliseconds since the epoch; null when never seen. */
  lastSeen: number | null;
  /** The host daemon's first registry mirror, as `docker info` reports it. */
  registryMirror: string | null;
  /** App container names on the host from its last inventory (any state); null when unknown. */
  containers: string[] | null;
  /** Its labels (enrollment, `drover agents label`): what `x-drover/roles/<role>/labels` selects on. */
  labels: Record<string, string>;
}

/** Kamal's `-r`, `-h` and `-p` (wildcards allowed in roles and hosts). */
export interface Selection {
  roles: string[];
  hosts: string[];
  primary: boolean;
}

/** Files the operator sent with the deployment (the controller reads nothing from its own disk). */
export interface SubmittedAssets {
  /** `error_pages_path` files: `4xx.html`/`5xx.html` name → content. */
  errorPages: Record<string, string> | null;
  /** Accessory `files:` content by their `local` path as written in deploy.yml (ERB already rendered). */
  accessoryFiles: Record<string, string>;
}

export interface PlanInput {
  command: PlanCommand;
  config: ResolvedConfig;
  /** Secret values by name (only those the config reads). */
  secrets: Record<string, string>;
  selection: Selection;
  /** By agent name. */
  agents: Record<string, AgentPresence>;
  /** KAMAL_PERFORMER, recorded in the hosts' audit logs. */
  performer: string;
  /** Hooks to run (those that exist, none with `-H`). */
  hooks: readonly RolloutHook[];
  assets: SubmittedAssets;
  /** `deploy -P`: nothing was pushed, the image is only pulled (the plan says "Pull app image..."). */
  skipPush: boolean;
  /** Subcommand options; none for the main commands. */
  options?: CommandOptions;
}

/** One agent operation with fully resolved params. */
export type OpCall = { [N in OperationName]: { op: N; params: OperationParams<N> } }[OperationName];

/** The operations one host runs in order within a phase. */
export interface HostTask {
  host: string;
  calls: OpCall[];
}

/** One role's new container on one host, inside a boot group. */
export interface BootTask {
  host: string;
  role: string;
  /** The role gating the others (Kamal's barrier): its first healthy container opens the barrier. */
  gatekeeper: boolean;
  call: Extract<OpCall, { op: 'app.boot' }>;
}

export type Phase =
  /** A Kamal console line printed as the rollout reaches it. */
  | { kind: 'say'; text: string }
  | { kind: 'lock' }
  | { kind: 'unlock' }
  | { kind: 'hook'; hook: RolloutHook; hosts: string[] }
  /** Hosts in parallel; each host's calls one after another. */
  | { kind: 'ops'; name: string; tasks: HostTask[] }
  /** Kamal's boot group: roles on a host in order (or in parallel with `parallel_roles`), hosts in parallel. */
  | { kind: 'boot'; group: number; hosts: string[]; parallelRoles: boolean; tasks: BootTask[] }
  | { kind: 'sleep'; seconds: number }
  /**
   * Drover's canary (`x-drover/canary`): after the first boot group, its new containers are probed until
   * they have stayed healthy for `seconds`; a failure rolls the group back and stops the rollout.
   */
  | { kind: 'soak'; seconds: number; hosts: string[]; tasks: HostTask[] }
  /** `x-drover/offline: wait`: these agents must connect within `seconds`, or the deployment fails here. */
  | { kind: 'await_agents'; hosts: string[]; seconds: number };

export interface Plan {
  command: PlanCommand;
  service: string;
  destination: string | null;
  version: string;
  /** `<service>[-<destination>]`: the deploy lock's key. */
  lockKey: string;
  primaryRole: string | null;
  primaryHost: string | null;
  /** Selected roles and hosts, primary first, as Kamal sorts them. */
  roles: string[];
  hosts: string[];
  phases: Phase[];
  /** Selected hosts left out because their agents were not connected (`x-drover/offline: skip`). */
  skippedHosts: string[];
  /**
   * `x-drover/auto_rollback` for a command that boots a new version: a failed boot group returns the
   * containers that switched. A failed canary soak rolls back whatever this says.
   */
  autoRollback: boolean;
}
