/** Rollout limits and Kamal's lock-wait defaults, in one place. */
export const ROLLOUT_DEFAULTS = {
  /** An agent operation that has not answered by then fails its host (pulls and boots get their own). */
  operationTimeoutMs: 5 * 60_000,
  pullTimeoutMs: 30 * 60_000,
  /** Added to deploy_timeout (and readiness_delay) for a boot: the gate itself is bounded by the agent. */
  bootGraceMs: 2 * 60_000,
  /**
   * How long a call waits for its agent to come back after the connection dropped (a network blip, an
   * agent upgrade), then repeats with the same operation id and gets the recorded outcome.
   */
  agentReconnectMs: 60_000,
  /** How often the controller looks for skipped hosts whose agents are back (also on each agent connecting). */
  convergenceIntervalMs: 10_000,
  /** Convergence deployments tried per skipped host before it is left for a person (its last error shown). */
  convergenceAttempts: 3,
  /** Convergence deployments running at once (each brings one host up to date under its own host lock). */
  convergenceParallel: 8,
  /** After an agent connects, the convergence tick waits this long for others connecting with it. */
  convergenceSoonMs: 500,
  /** Hosts a phase starts per event-loop turn (a fleet of thousands leaves the loop to other requests between slices). */
  dispatchSlice: 500,
  /** How often a wait for agents (a reconnect, `x-drover/offline: wait`) looks again. */
  agentPollMs: 250,
  /** The canary soak probes its containers this often, each probe bounded by the timeout. */
  canaryProbeIntervalMs: 2_000,
  canaryProbeTimeoutMs: 30_000,
  /** How long a hook may run on the operator's machine. */
  hookTimeoutMs: 30 * 60_000,
  /** A hook is failed when no operator has followed the deployment for this long. */
  hookUnattendedMs: 30_000,
  /** Kamal's `--lock-wait-timeout` and `--lock-wait-interval` (seconds). */
  lockWaitTimeoutSeconds: 900,
  lockWaitIntervalSeconds: 15,
  /** Kamal's message on a lock a deployment takes. */
  automaticLockMessage: 'Automatic deploy lock',
  /** Versions of a service whose secrets stay (encrypted) in the store: current and previous. */
  keptSecretVersions: 2,
} as const;
