/**
 * Durable records of deployments (with their event log and steps), the deploy
 * lock and the encrypted secrets of each service version. Part of `Store`.
 */
import type { PlanCommand } from '../plan/types.js';

/** `deploy`, …, or a subcommand as Kamal spells it (`app boot`, `proxy reboot`, …). */
export type DeploymentCommand = PlanCommand;
export type DeploymentStatus = 'running' | 'succeeded' | 'failed' | 'rolled_back';
export type FinishedStatus = Exclude<DeploymentStatus, 'running'>;

export interface NewDeployment {
  id: string;
  service: string;
  destination: string | null;
  command: DeploymentCommand;
  version: string;
  performer: string;
  createdAt: number;
  /** JSON-serialisable: the rendered config files, selection and options it was submitted with (never secret values). */
  snapshot: unknown;
}

export interface DeploymentRecord extends NewDeployment {
  status: DeploymentStatus;
  finishedAt: number | null;
  error: string | null;
  exitCode: number | null;
  /** Number of events recorded so far. */
  eventCount: number;
}

export interface DeploymentEventRecord {
  deploymentId: string;
  index: number;
  at: number;
  event: unknown;
}

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

export interface StepRecord {
  deploymentId: string;
  stepId: string;
  host: string | null;
  kind: string;
  status: StepStatus;
  startedAt: number;
  finishedAt: number | null;
  error: string | null;
}

export interface LockRecord {
  /** `<service>[-<destination>]` */
  key: string;
  holder: string;
  message: string;
  version: string | null;
  acquiredAt: number;
  /** Taken by a deployment (Kamal's "Automatic deploy lock"), not by `lock acquire`. */
  automatic: boolean;
  deploymentId: string | null;
}

/** One version's encrypted secrets of a service (key = `<service>[-<destination>]`); the newest `keep` versions stay (default 2). */
export interface ServiceSecrets {
  key: string;
  version: string;
  sealed: Buffer;
  at: number;
  keep?: number;
}

export interface DeploymentStore {
  /** With `secrets`, the service's secrets of this version are stored in the same transaction (`putServiceSecrets`). */
  createDeployment(d: NewDeployment, secrets?: ServiceSecrets): DeploymentRecord;
  finishDeployment(id: string, outcome: { status: FinishedStatus; error: string | null; exitCode: number; at: number }): void;
  getDeployment(id: string): DeploymentRecord | null;
  /** Newest first. */
  listDeployments(filter?: { service?: string; destination?: string | null; status?: DeploymentStatus; limit?: number }): DeploymentRecord[];
  /** Appends and returns the event's index (0, 1, 2… per deployment); durable by the end of the event-loop turn. */
  appendEvent(deploymentId: string, at: number, event: unknown): number;
  /** Runs `cb` once the events and steps written so far are durable. */
  afterCommit(cb: () => void): void;
  /** Events with index >= from, in order, at most `limit` (default 10000). */
  listEvents(deploymentId: string, from: number, limit?: number): DeploymentEventRecord[];
  /** Insert or update by (deploymentId, stepId); durable by the end of the event-loop turn. */
  recordStep(step: StepRecord): void;
  listSteps(deploymentId: string): StepRecord[];
  /**
   * At controller start: every deployment still `running` was interrupted. Marks each failed with `reason`
   * (exit code 1) and releases the automatic locks they held, in one transaction; returns them.
   */
  failInterruptedDeployments(reason: string, at: number): DeploymentRecord[];
  /**
   * Atomic: takes the lock if free, else returns who holds it. A service's lock and the host locks of that
   * service (`hostLockKey`) exclude each other; host locks of different hosts do not.
   */
  acquireLock(lock: LockRecord): { acquired: true; lock: LockRecord } | { acquired: false; held: LockRecord };
  /** The lock of exactly `key`. */
  getLock(key: string): LockRecord | null;
  /** A service's lock and its host locks, the service's first. */
  serviceLocks(key: string): LockRecord[];
  listLocks(): LockRecord[];
  /**
   * Releases `key`; with `deploymentId`, only if that deployment holds it, else (by hand) a service's host
   * locks too. Returns whether a lock was removed.
   */
  releaseLock(key: string, opts?: { deploymentId?: string }): boolean;
  /** Stores the encrypted secrets of one version of a service (key = `<service>[-<destination>]`), keeping only the newest `keep` versions (default 2: current and previous). Re-putting an existing version replaces it and makes it newest. */
  putServiceSecrets(key: string, version: string, sealed: Buffer, at: number, keep?: number): void;
  getServiceSecrets(key: string, version: string): Buffer | null;
  listServiceSecretVersions(key: string): string[];
}

/**
 * The lock a convergence takes: one host of a service (`<key>@<host>`; `@` is in no service key). It keeps
 * the service's deployments out, not the convergence of another host.
 */
export function hostLockKey(key: string, host: string): string {
  return `${key}@${host}`;
}

/** The host of a host lock's key; null for a service's lock. */
export function lockedHost(key: string): string | null {
  const at = key.indexOf('@');
  return at < 0 ? null : key.slice(at + 1);
}

/** The lock and secrets key of a service: `<service>[-<destination>]`, as Kamal names its lock. */
export function serviceKey(service: string, destination: string | null): string {
  return destination === null || destination === '' ? service : `${service}-${destination}`;
}
