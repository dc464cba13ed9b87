/**
 * Kamal's defaults for what deploy.yml leaves out, in one place: the config resolver, the operation
 * schemas the agent validates against, and the agent's own containers (kamal-proxy) all read them here.
 */
export const KAMAL_DEFAULTS = {
  /** `deploy_timeout`: seconds a new container has to become healthy. */
  deployTimeoutSeconds: 30,
  /** `drain_timeout`: seconds kamal-proxy drains an old container's requests (and `docker stop -t` without a proxy). */
  drainTimeoutSeconds: 30,
  /** `readiness_delay`: seconds a container without a health check runs before it counts as ready. */
  readinessDelaySeconds: 7,
  /** `retain_containers`: stopped containers of a service kept by `prune`. */
  retainContainers: 5,
  /** `docker run --restart` for apps, accessories and kamal-proxy unless options say otherwise. */
  restartPolicy: 'unless-stopped',
  /** `proxy.healthcheck`. */
  healthcheck: { intervalSeconds: 1, timeoutSeconds: 5, path: '/up' },
} as const;

/**
 * Defaults of Drover's own settings (`x-drover:`), where they leave Kamal's behaviour: each is what a
 * Kamal user would want once told (docs/configuration.md says so), and one line turns it off.
 */
export const DROVER_DEFAULTS = {
  /** `x-drover/auto_rollback`: hosts that switched to a version whose later boot group failed its health gate go back. */
  autoRollback: true,
  /** `x-drover/offline`: selected agents that are not connected fail the deployment, as an unreachable host fails Kamal's. */
  offline: 'fail',
  /** `x-drover/agent_timeout`: seconds `offline: wait` waits for the agents to connect. */
  agentTimeoutSeconds: 60,
  /** `x-drover/canary/soak`: seconds the canary group must stay healthy before the other hosts boot. */
  canarySoakSeconds: 60,
} as const;
