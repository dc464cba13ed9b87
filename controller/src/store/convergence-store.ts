// Hosts waiting to be brought to a service's version (issue 12, convergence): those a deployment skipped
// because their agents were offline, and agents that joined a label-selected role after it was deployed;
// the label fleets that admit them; and the switch that pauses convergence.

export interface PendingConvergence {
  /** `<service>[-<destination>]`. */
  key: string;
  host: string;
  version: string;
  /** The deployment whose config files and assets are the ones to use. */
  deploymentId: string;
  /** skipped: a deployment left the host out (agent offline); joined: the agent came to match a role's labels. */
  reason: 'skipped' | 'joined';
  since: number;
  attempts: number;
  lastError: string | null;
}

/** A service whose latest successful deployment selected hosts by label: what a newly matching agent gets. */
export interface LabelFleet {
  key: string;
  version: string;
  deploymentId: string;
  /** By role: the labels an agent must carry (`x-drover/roles/<role>/labels`). */
  selectors: Record<string, Record<string, string>>;
  /** Hosts that are (or are being brought) on the service: an agent outside it that matches is a newcomer. */
  members: string[];
}

export interface DeployedRecord {
  key: string;
  version: string;
  deploymentId: string;
  deployed: string[];
  skipped: string[];
  at: number;
  /**
   * The deployment's label fleet (null: its config selects no host by label, so the service has none);
   * undefined leaves the fleet as it was (a convergence deploys one host of it).
   */
  fleet?: { selectors: Record<string, Record<string, string>>; members: string[] } | null;
}

export interface ConvergenceStore {
  /** Oldest first. */
  pendingConvergence(): PendingConvergence[];
  /**
   * A deployment of `key` at `version` succeeded: the hosts it deployed are there (nothing pending for
   * them), those it skipped are to be brought to `version`, replacing what they waited for before, and
   * agents that joined the fleet and still wait are brought to `version` too.
   */
  recordDeployed(e: DeployedRecord): void;
  /** The service was removed: no host waits for it and no agent joins it any more. */
  forgetService(key: string): void;
  labelFleets(): LabelFleet[];
  /** Agents that came to match the fleet of `key`: members from now on, waiting for its version. */
  admitToFleet(key: string, hosts: string[], at: number): void;
  /** An attempt to converge the host started (`error` null) or ended failed (`error`). */
  noteConvergenceAttempt(key: string, host: string, error: string | null): void;
  convergencePaused(): boolean;
  setConvergencePaused(paused: boolean): void;
}
