import type Database from 'better-sqlite3';
import { GroupCommit } from './group-commit.js';
import { WalSync, withoutFsync } from './wal-sync.js';
import { PLAN_COMMANDS } from '../plan/types.js';
import type {
  DeploymentCommand, DeploymentEventRecord, DeploymentRecord, DeploymentStatus, DeploymentStore, FinishedStatus, LockRecord, NewDeployment, ServiceSecrets, StepRecord, StepStatus,
} from './deployment-store.js';
import { lockedHost } from './deployment-store.js';

type Row = Record<string, unknown>;

const COMMANDS: ReadonlySet<string> = new Set<DeploymentCommand>(PLAN_COMMANDS);
const STATUSES: ReadonlySet<string> = new Set<DeploymentStatus>(['running', 'succeeded', 'failed', 'rolled_back']);
const STEP_STATUSES: ReadonlySet<string> = new Set<StepStatus>(['running', 'succeeded', 'failed', 'skipped']);
const DEFAULT_EVENT_LIMIT = 10_000;
const DEFAULT_SECRET_VERSIONS = 2;

/** A row that cannot be turned back into a record: names the table and the row, never its contents. */
function corrupt(where: string, table: string, id: string, what: string): Error {
  return new Error(`${where}: ${table} row ${id} has ${what}`);
}

function parseJson(text: unknown, where: string, table: string, id: string, column: string): unknown {
  if (typeof text !== 'string') throw corrupt(where, table, id, `no ${column} text`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw corrupt(where, table, id, `unreadable ${column} (not JSON)`);
  }
}

function int(r: Row, column: string, where: string, table: string, id: string): number {
  const v = r[column];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw corrupt(where, table, id, `a non-numeric ${column}`);
  return v;
}

function intOrNull(r: Row, column: string, where: string, table: string, id: string): number | null {
  return r[column] == null ? null : int(r, column, where, table, id);
}

function strOrNull(v: unknown): string | null {
  return v == null ? null : String(v);
}

function toJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new Error(`${what} is not JSON-serialisable: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (text === undefined) throw new Error(`${what} is not JSON-serialisable`);
  return text;
}

function checkCount(n: number, what: string, min: number): void {
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${what} must be an integer >= ${min}, got ${n}`);
}

function checkSecrets(s: ServiceSecrets): void {
  checkCount(s.keep ?? DEFAULT_SECRET_VERSIONS, 'service secrets: keep', 1);
  if (!Buffer.isBuffer(s.sealed)) throw new Error('service secrets: sealed must be a Buffer');
}

function deploymentFromRow(r: Row, where: string): DeploymentRecord {
  const id = String(r.id);
  const t = 'deployments';
  const command = String(r.command);
  if (!COMMANDS.has(command)) throw corrupt(where, t, id, `an unknown command ${JSON.stringify(command)}`);
  const status = String(r.status);
  if (!STATUSES.has(status)) throw corrupt(where, t, id, `an unknown status ${JSON.stringify(status)}`);
  return {
    id,
    service: String(r.service),
    destination: strOrNull(r.destination),
    command: command as DeploymentCommand,
    version: String(r.version),
    performer: String(r.performer),
    createdAt: int(r, 'created_at', where, t, id),
    snapshot: parseJson(r.snapshot, where, t, id, 'snapshot'),
    status: status as DeploymentStatus,
    finishedAt: intOrNull(r, 'finished_at', where, t, id),
    error: strOrNull(r.error),
    exitCode: intOrNull(r, 'exit_code', where, t, id),
    eventCount: int(r, 'event_count', where, t, id),
  };
}

function eventFromRow(r: Row, where: string): DeploymentEventRecord {
  const t = 'deployment_events';
  const id = `${String(r.deployment_id)}#${String(r.idx)}`;
  return {
    deploymentId: String(r.deployment_id),
    index: int(r, 'idx', where, t, id),
    at: int(r, 'at', where, t, id),
    event: parseJson(r.event, where, t, id, 'event'),
  };
}

function stepFromRow(r: Row, where: string): StepRecord {
  const t = 'deployment_steps';
  const id = `${String(r.deployment_id)}/${String(r.step_id)}`;
  const status = String(r.status);
  if (!STEP_STATUSES.has(status)) throw corrupt(where, t, id, `an unknown status ${JSON.stringify(status)}`);
  return {
    deploymentId: String(r.deployment_id),
    stepId: String(r.step_id),
    host: strOrNull(r.host),
    kind: String(r.kind),
    status: status as StepStatus,
    startedAt: int(r, 'started_at', where, t, id),
    finishedAt: intOrNull(r, 'finished_at', where, t, id),
    error: strOrNull(r.error),
  };
}

function lockFromRow(r: Row, where: string): LockRecord {
  const t = 'locks';
  const key = String(r.key);
  const automatic = int(r, 'automatic', where, t, key);
  if (automatic !== 0 && automatic !== 1) throw corrupt(where, t, key, 'an automatic flag that is neither 0 nor 1');
  return {
    key,
    holder: String(r.holder),
    message: String(r.message),
    version: strOrNull(r.version),
    acquiredAt: int(r, 'acquired_at', where, t, key),
    automatic: automatic === 1,
    deploymentId: strOrNull(r.deployment_id),
  };
}

function isSqliteError(err: unknown, code: string): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === code;
}

/**
 * The `DeploymentStore` half of `SqliteStore`, on the same connection (see
 * migration 2). `where` (the database path) prefixes errors about corrupt rows.
 */
type PendingWrite = { kind: 'event'; deploymentId: string; idx: number; at: number; text: string } | { kind: 'step'; step: StepRecord };

export class SqliteDeployments implements DeploymentStore {
  private readonly statements = new Map<string, Database.Statement>();
  /** Events and steps, committed once per event-loop turn (group-commit.ts). */
  private readonly writes = new GroupCommit<PendingWrite>((items) => this.commitWrites(items));
  /** The next event index of deployments with events not yet committed. */
  private readonly nextEventIndex = new Map<string, number>();

  private readonly wal: WalSync;

  constructor(private readonly db: Database.Database, private readonly where: string) {
    this.wal = WalSync.forDatabase(where);
  }

  /** Commits what is pending; the WAL's descriptor is closed once its last sync is done. */
  close(): void {
    this.writes.flush();
    this.wal.close();
  }

  /** Commits pending events and steps: every other read or write sees them. */
  flush(): void {
    this.writes.flush();
  }

  afterCommit(cb: () => void): void {
    this.writes.afterCommit(cb);
  }

  /** Written at once, durable once the WAL sync that follows completes (group-commit.ts). */
  private commitWrites(items: PendingWrite[]): Promise<void> {
    try {
      withoutFsync(this.db, () => this.db.transaction(() => {
        // A deployment's event count once per commit, not once per event.
        const eventCounts = new Map<string, number>();
        for (const w of items) {
          if (w.kind === 'event') {
            this.q('INSERT INTO deployment_events (deployment_id, idx, at, event) VALUES (?, ?, ?, ?)').run(w.deploymentId, w.idx, w.at, w.text);
            eventCounts.set(w.deploymentId, w.idx + 1);
          } else {
            this.upsertStep(w.step);
          }
        }
        for (const [id, count] of eventCounts) this.q('UPDATE deployments SET event_count = ? WHERE id = ?').run(count, id);
      }).immediate());
    } finally {
      // Indexes of events still pending stay known (a chunked commit leaves some for the next turn).
      if (this.writes.size === 0) this.nextEventIndex.clear();
    }
    return this.wal.sync();
  }

  /** Prepared once per distinct SQL text (events and steps are written often). */
  private q(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private getRow(id: string): Row | undefined {
    this.writes.flush();
    return this.q('SELECT * FROM deployments WHERE id = ?').get(id) as Row | undefined;
  }

  createDeployment(d: NewDeployment, secrets?: ServiceSecrets): DeploymentRecord {
    if (!COMMANDS.has(d.command)) throw new Error(`deployment ${d.id}: unknown command ${JSON.stringify(d.command)}`);
    const snapshot = toJson(d.snapshot, `deployment ${d.id}: snapshot`);
    if (secrets) checkSecrets(secrets);
    this.writes.flush();
    return this.db.transaction(() => {
      if (this.getRow(d.id)) throw new Error(`deployment ${d.id} already exists`);
      this.q(`INSERT INTO deployments (id, service, destination, command, version, performer, created_at, snapshot, status, event_count)
        VALUES (@id, @service, @destination, @command, @version, @performer, @createdAt, @snapshot, 'running', 0)`)
        .run({ id: d.id, service: d.service, destination: d.destination, command: d.command, version: d.version, performer: d.performer, createdAt: d.createdAt, snapshot });
      if (secrets) this.writeServiceSecrets(secrets);
      return deploymentFromRow(this.getRow(d.id)!, this.where);
    }).immediate();
  }

  finishDeployment(id: string, outcome: { status: FinishedStatus; error: string | null; exitCode: number; at: number }): void {
    if (outcome.status === 'running' as DeploymentStatus || !STATUSES.has(outcome.status)) throw new Error(`deployment ${id}: cannot finish as ${JSON.stringify(outcome.status)}`);
    this.writes.flush();
    this.db.transaction(() => {
      const r = this.q('SELECT status FROM deployments WHERE id = ?').get(id) as Row | undefined;
      if (!r) throw new Error(`deployment ${id} does not exist`);
      if (r.status !== 'running') throw new Error(`deployment ${id} already finished (${String(r.status)})`);
      this.q('UPDATE deployments SET status = ?, error = ?, exit_code = ?, finished_at = ? WHERE id = ?')
        .run(outcome.status, outcome.error, outcome.exitCode, outcome.at, id);
    }).immediate();
  }

  getDeployment(id: string): DeploymentRecord | null {
    const r = this.getRow(id);
    return r ? deploymentFromRow(r, this.where) : null;
  }

  listDeployments(filter: { service?: string; destination?: string | null; status?: DeploymentStatus; limit?: number } = {}): DeploymentRecord[] {
    const conds: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.service !== undefined) {
      conds.push('service = @service');
      params.service = filter.service;
    }
    if (filter.destination !== undefined) {
      // IS matches NULL to NULL: `destination: null` means "no destination".
      conds.push('destination IS @destination');
      params.destination = filter.destination;
    }
    if (filter.status !== undefined) {
      conds.push('status = @status');
      params.status = filter.status;
    }
    if (filter.limit !== undefined) checkCount(filter.limit, 'listDeployments: limit', 0);
    params.limit = filter.limit ?? -1; // -1: no limit
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    this.writes.flush();
    const rows = this.q(`SELECT * FROM deployments ${where} ORDER BY created_at DESC, rowid DESC LIMIT @limit`).all(params) as Row[];
    return rows.map((r) => deploymentFromRow(r, this.where));
  }

  appendEvent(deploymentId: string, at: number, event: unknown): number {
    const text = toJson(event, `deployment ${deploymentId}: event`);
    let idx = this.nextEventIndex.get(deploymentId);
    if (idx === undefined) {
      const r = this.q('SELECT event_count FROM deployments WHERE id = ?').get(deploymentId) as Row | undefined;
      if (!r) throw new Error(`deployment ${deploymentId} does not exist`);
      idx = Number(r.event_count);
    }
    this.nextEventIndex.set(deploymentId, idx + 1);
    this.writes.add({ kind: 'event', deploymentId, idx, at, text });
    return idx;
  }

  listEvents(deploymentId: string, from: number, limit: number = DEFAULT_EVENT_LIMIT): DeploymentEventRecord[] {
    checkCount(from, 'listEvents: from', 0);
    checkCount(limit, 'listEvents: limit', 0);
    this.writes.flush();
    const rows = this.q('SELECT * FROM deployment_events WHERE deployment_id = ? AND idx >= ? ORDER BY idx LIMIT ?').all(deploymentId, from, limit) as Row[];
    return rows.map((r) => eventFromRow(r, this.where));
  }

  recordStep(step: StepRecord): void {
    if (!STEP_STATUSES.has(step.status)) throw new Error(`deployment ${step.deploymentId} step ${step.stepId}: unknown status ${JSON.stringify(step.status)}`);
    if (!this.nextEventIndex.has(step.deploymentId) && !this.q('SELECT 1 FROM deployments WHERE id = ?').get(step.deploymentId)) {
      throw new Error(`deployment ${step.deploymentId} does not exist`);
    }
    this.writes.add({ kind: 'step', step: { ...step } });
  }

  private upsertStep(step: StepRecord): void {
    try {
      this.q(`INSERT INTO deployment_steps (deployment_id, step_id, host, kind, status, started_at, finished_at, error)
        VALUES (@deploymentId, @stepId, @host, @kind, @status, @startedAt, @finishedAt, @error)
        ON CONFLICT (deployment_id, step_id) DO UPDATE SET host = excluded.host, kind = excluded.kind, status = excluded.status,
          started_at = excluded.started_at, finished_at = excluded.finished_at, error = excluded.error`)
        .run({
          deploymentId: step.deploymentId, stepId: step.stepId, host: step.host, kind: step.kind, status: step.status,
          startedAt: step.startedAt, finishedAt: step.finishedAt, error: step.error,
        });
    } catch (err) {
      if (isSqliteError(err, 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw new Error(`deployment ${step.deploymentId} does not exist`);
      throw err;
    }
  }

  listSteps(deploymentId: string): StepRecord[] {
    // rowid: first-recorded order among steps that started in the same millisecond.
    this.writes.flush();
    const rows = this.q('SELECT * FROM deployment_steps WHERE deployment_id = ? ORDER BY started_at, rowid').all(deploymentId) as Row[];
    return rows.map((r) => stepFromRow(r, this.where));
  }

  failInterruptedDeployments(reason: string, at: number): DeploymentRecord[] {
    this.writes.flush();
    return this.db.transaction(() => {
      const ids = (this.q("SELECT id FROM deployments WHERE status = 'running' ORDER BY created_at DESC, rowid DESC").all() as Row[]).map((r) => String(r.id));
      if (ids.length === 0) return [];
      const running = "SELECT id FROM deployments WHERE status = 'running'";
      this.q(`DELETE FROM locks WHERE automatic = 1 AND deployment_id IN (${running})`).run();
      // Their steps were interrupted too; a step left `running` forever would mislead.
      this.q(`UPDATE deployment_steps SET status = 'failed', finished_at = @at, error = COALESCE(error, @reason)
        WHERE status = 'running' AND deployment_id IN (${running})`).run({ at, reason });
      this.q("UPDATE deployments SET status = 'failed', error = @reason, exit_code = 1, finished_at = @at WHERE status = 'running'").run({ at, reason });
      return ids.map((id) => deploymentFromRow(this.getRow(id)!, this.where));
    }).immediate();
  }

  /**
   * A deployment's automatic lock is taken and released without waiting for an fsync (on its rollout's
   * critical path): the next durable commit (its steps', at the latest its end's) carries it, and a crash
   * before that loses nothing recovery needs, as recovery releases the automatic locks of the deployments
   * it finds running. A lock taken by hand waits for its fsync.
   */
  acquireLock(lock: LockRecord): { acquired: true; lock: LockRecord } | { acquired: false; held: LockRecord } {
    const take = () => this.takeLock(lock);
    return lock.automatic ? withoutFsync(this.db, take) : take();
  }

  private takeLock(lock: LockRecord): { acquired: true; lock: LockRecord } | { acquired: false; held: LockRecord } {
    return this.db.transaction((): { acquired: true; lock: LockRecord } | { acquired: false; held: LockRecord } => {
      const host = lockedHost(lock.key);
      const held = host === null ? this.serviceLocks(lock.key)[0] : (this.getLock(lock.key) ?? this.getLock(lock.key.slice(0, -host.length - 1)));
      if (held) return { acquired: false, held };
      this.q(`INSERT INTO locks (key, holder, message, version, acquired_at, automatic, deployment_id)
        VALUES (@key, @holder, @message, @version, @acquiredAt, @automatic, @deploymentId)`)
        .run({
          key: lock.key, holder: lock.holder, message: lock.message, version: lock.version, acquiredAt: lock.acquiredAt,
          automatic: lock.automatic ? 1 : 0, deploymentId: lock.deploymentId,
        });
      return { acquired: true, lock: this.getLock(lock.key)! };
    }).immediate();
  }

  getLock(key: string): LockRecord | null {
    const r = this.q('SELECT * FROM locks WHERE key = ?').get(key) as Row | undefined;
    return r ? lockFromRow(r, this.where) : null;
  }

  serviceLocks(key: string): LockRecord[] {
    // `key@` to `key@\u{10ffff}`: the host locks, by range so the primary key's index serves it.
    return (this.q('SELECT * FROM locks WHERE key = ? OR (key >= ? AND key < ?) ORDER BY length(key), key').all(key, `${key}@`, `${key}A`) as Row[])
      .map((r) => lockFromRow(r, this.where));
  }

  listLocks(): LockRecord[] {
    return (this.q('SELECT * FROM locks ORDER BY key').all() as Row[]).map((r) => lockFromRow(r, this.where));
  }

  /** A deployment releasing its own lock does not wait for an fsync either (`acquireLock`); a release by hand does. */
  releaseLock(key: string, opts: { deploymentId?: string } = {}): boolean {
    const res = opts.deploymentId === undefined
      ? this.q('DELETE FROM locks WHERE key = ? OR (key >= ? AND key < ?)').run(key, `${key}@`, `${key}A`)
      : withoutFsync(this.db, () => this.q('DELETE FROM locks WHERE key = ? AND deployment_id = ?').run(key, opts.deploymentId));
    return res.changes > 0;
  }

  putServiceSecrets(key: string, version: string, sealed: Buffer, at: number, keep: number = DEFAULT_SECRET_VERSIONS): void {
    const secrets = { key, version, sealed, at, keep };
    checkSecrets(secrets);
    this.db.transaction(() => this.writeServiceSecrets(secrets)).immediate();
  }

  private writeServiceSecrets({ key, version, sealed, at, keep = DEFAULT_SECRET_VERSIONS }: ServiceSecrets): void {
    // seq, not stored_at, orders versions: clocks go backwards, re-puts must become newest.
    const seq = Number((this.q('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM service_secrets WHERE key = ?').get(key) as Row).seq);
    this.q(`INSERT INTO service_secrets (key, version, sealed, stored_at, seq) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (key, version) DO UPDATE SET sealed = excluded.sealed, stored_at = excluded.stored_at, seq = excluded.seq`)
      .run(key, version, sealed, at, seq);
    this.q(`DELETE FROM service_secrets WHERE key = @key AND version NOT IN
      (SELECT version FROM service_secrets WHERE key = @key ORDER BY seq DESC LIMIT @keep)`).run({ key, keep });
  }

  getServiceSecrets(key: string, version: string): Buffer | null {
    const r = this.q('SELECT sealed FROM service_secrets WHERE key = ? AND version = ?').get(key, version) as Row | undefined;
    if (!r) return null;
    if (!Buffer.isBuffer(r.sealed)) throw corrupt(this.where, 'service_secrets', `${key}@${version}`, 'a sealed value that is not a BLOB');
    return r.sealed;
  }

  /** Newest first. */
  listServiceSecretVersions(key: string): string[] {
    return (this.q('SELECT version FROM service_secrets WHERE key = ? ORDER BY seq DESC').all(key) as Row[]).map((r) => String(r.version));
  }
}
