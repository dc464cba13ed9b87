// Hosts a deployment skipped (their agents were offline) and the version they are to be brought to when
// they connect (issue 12, convergence), plus the switch that pauses it.

export interface PendingConvergence {
  /** `<service>[-<destination>]`. */
  key: string;
  host: string;
  version: string;
  /** The deployment that skipped the host: its config files and assets are the ones to use. */
  deploymentId: string;
  since: number;
  attempts: number;
  lastError: string | null;
}

export interface ConvergenceStore {
  /** Oldest first. */
  pendingConvergence(): PendingConvergence[];
  /**
   * A deployment of `key` at `version` succeeded: the hosts it deployed are there (nothing pending for
   * them), and those it skipped are to be brought to `version`, replacing what they waited for before.
   */
  recordDeployed(e: { key: string; version: string; deploymentId: string; deployed: string[]; skipped: string[]; at: number }): void;
  /** An attempt to converge the host started (`error` null) or ended failed (`error`). */
  noteConvergenceAttempt(key: string, host: string, error: string | null): void;
  convergencePaused(): boolean;
  setConvergencePaused(paused: boolean): void;
}
