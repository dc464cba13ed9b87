import Database from 'better-sqlite3';
import { z } from 'zod';
import { join } from 'node:path';
import { ensurePrivateDatabaseFile, ensurePrivateDir } from './secure-file.js';
import { MIGRATIONS } from './migrations.js';
import { StoreConflict, type AgentRecord, type JoinTokenRecord, type NewAgent, type NewJoinToken, type OperatorTokenRecord, type PresenceUpdate, type Store } from './store.js';
import type {
  DeploymentEventRecord, DeploymentRecord, DeploymentStatus, FinishedStatus, LockRecord, NewDeployment, ServiceSecrets, StepRecord,
} from './deployment-store.js';
import { SqliteDeployments } from './sqlite-deployments.js';
import { SqliteConvergence } from './sqlite-convergence.js';
import { SqliteTokens } from './sqlite-tokens.js';
import { withoutFsync } from './wal-sync.js';

type Row = Record<string, unknown>;

const Labels = z.record(z.string());

function agentFromRow(r: Row, where: string): AgentRecord {
  let labels: Record<string, string> = {};
  try {
    labels = Labels.parse(JSON.parse(String(r.labels)));
  } catch {
    throw new Error(`${where}: agent ${String(r.id)} has unreadable labels`);
  }
  return {
    id: String(r.id),
    name: String(r.name),
    publicKey: String(r.public_key),
    labels,
    enrolledAt: Number(r.enrolled_at),
    revokedAt: r.revoked_at == null ? null : Number(r.revoked_at),
    lastSeen: r.last_seen == null ? null : Number(r.last_seen),
    lastAddress: r.last_address == null ? null : String(r.last_address),
    hostname: r.hostname == null ? null : String(r.hostname),
    agentVersion: r.agent_version == null ? null : String(r.agent_version),
    dockerVersion: r.docker_version == null ? null : String(r.docker_version),
  };
}

/**
 * SQLite store in `<dataDir>/controller.db`: WAL, synchronous=FULL (but for a deployment's events and steps,
 * synced off the event loop, and last-seen updates: wal-sync.ts), versioned migrations.
 */
export class SqliteStore implements Store {
  readonly path: string;
  private readonly db: Database.Database;
  private agentById: Database.Statement | null = null;
  private readonly deployments: SqliteDeployments;
  private readonly tokens: SqliteTokens;
  /** Hosts waiting to converge (`rollout/convergence.ts`). */
  readonly convergence: SqliteConvergence;

  constructor(dataDir: string) {
    ensurePrivateDir(dataDir);
    this.path = join(dataDir, 'controller.db');
    ensurePrivateDatabaseFile(this.path);
    this.db = new Database(this.path);
    this.db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before we acknowledge it (enrollment, revoke).
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    this.deployments = new SqliteDeployments(this.db, this.path);
    this.tokens = new SqliteTokens(this.db, this.path);
    this.convergence = new SqliteConvergence(this.db);
  }

  /** Highest applied migration. */
  get schemaVersion(): number {
    return Number((this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as Row).v ?? 0);
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const current = this.schemaVersion;
    const newest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
    if (current > newest) throw new Error(`${this.path}: schema version ${current} is newer than this controller understands (${newest}); upgrade drover`);
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      // PRAGMA foreign_keys is a no-op inside a transaction: switched around it.
      if (m.rebuildsTables) this.db.pragma('foreign_keys = OFF');
      try {
        this.db.transaction(() => {
          this.db.exec(m.sql);
          if (m.rebuildsTables) this.checkForeignKeys(m.version);
          this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
        }).immediate();
      } finally {
        if (m.rebuildsTables) this.db.pragma('foreign_keys = ON');
      }
    }
  }

  private checkForeignKeys(version: number): void {
    const broken = this.db.pragma('foreign_key_check') as { table: string }[];
    if (broken.length > 0) throw new Error(`${this.path}: migration ${version} would leave ${broken.length} rows with broken references (first in ${broken[0]!.table})`);
  }

  enrollAgent(agent: NewAgent, joinTokenId: string | null): AgentRecord {
    this.db.transaction(() => {
      if (joinTokenId !== null) this.tokens.useJoinToken(joinTokenId, agent.enrolledAt);
      if (this.db.prepare('SELECT 1 FROM agents WHERE name = ? AND revoked_at IS NULL').get(agent.name)) {
        throw new StoreConflict('name_taken', `an agent named ${agent.name} is already enrolled; revoke it first`);
      }
      this.db.prepare(`INSERT INTO agents (id, name, public_key, labels, enrolled_at, hostname, agent_version)
        VALUES (@id, @name, @publicKey, @labels, @enrolledAt, @hostname, @agentVersion)`).run({ ...agent, labels: JSON.stringify(agent.labels) });
    }).immediate();
    return this.getAgent(agent.id)!;
  }

  getAgent(id: string): AgentRecord | null {
    // Prepared once: this runs on every agent handshake.
    this.agentById ??= this.db.prepare('SELECT * FROM agents WHERE id = ?');
    const r = this.agentById.get(id) as Row | undefined;
    return r ? agentFromRow(r, this.path) : null;
  }

  getAgentByName(name: string): AgentRecord | null {
    const r = this.db.prepare('SELECT * FROM agents WHERE name = ? AND revoked_at IS NULL').get(name) as Row | undefined;
    return r ? agentFromRow(r, this.path) : null;
  }

  listAgents(opts: { includeRevoked?: boolean } = {}): AgentRecord[] {
    const sql = opts.includeRevoked ? 'SELECT * FROM agents ORDER BY name, enrolled_at' : 'SELECT * FROM agents WHERE revoked_at IS NULL ORDER BY name';
    return (this.db.prepare(sql).all() as Row[]).map((r) => agentFromRow(r, this.path));
  }

  revokeAgent(id: string, at: number): boolean {
    return this.db.prepare('UPDATE agents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes === 1;
  }

  setAgentLabels(id: string, labels: Record<string, string>): void {
    this.db.prepare('UPDATE agents SET labels = ? WHERE id = ?').run(JSON.stringify(labels), id);
  }

  recordPresence(updates: PresenceUpdate[]): void {
    if (updates.length === 0) return;
    const stmt = this.db.prepare(`UPDATE agents SET last_seen = @lastSeen,
      last_address = COALESCE(@lastAddress, last_address),
      hostname = COALESCE(@hostname, hostname),
      agent_version = COALESCE(@agentVersion, agent_version),
      docker_version = CASE WHEN @setDocker THEN @dockerVersion ELSE docker_version END
      WHERE id = @id`);
    // Last seen is informative: it need not hold the event loop for an fsync (wal-sync.ts).
    withoutFsync(this.db, () => this.db.transaction(() => {
      for (const u of updates) {
        stmt.run({
          id: u.id, lastSeen: u.lastSeen, lastAddress: u.lastAddress ?? null, hostname: u.hostname ?? null,
          agentVersion: u.agentVersion ?? null, setDocker: u.dockerVersion === undefined ? 0 : 1, dockerVersion: u.dockerVersion ?? null,
        });
      }
    })());
  }

  // Join and operator tokens (sqlite-tokens.ts).

  isJoinTokenUsed(jti: string): boolean {
    return this.tokens.isJoinTokenUsed(jti);
  }

  createJoinToken(t: NewJoinToken): void {
    this.tokens.createJoinToken(t);
  }

  getJoinToken(id: string): JoinTokenRecord | null {
    return this.tokens.getJoinToken(id);
  }

  listJoinTokens(): JoinTokenRecord[] {
    return this.tokens.listJoinTokens();
  }

  revokeJoinToken(id: string, at: number): boolean {
    return this.tokens.revokeJoinToken(id, at);
  }

  createOperatorToken(t: OperatorTokenRecord): void {
    this.tokens.createOperatorToken(t);
  }

  findOperatorTokenByHash(hash: string): OperatorTokenRecord | null {
    return this.tokens.findOperatorTokenByHash(hash);
  }

  listOperatorTokens(): OperatorTokenRecord[] {
    return this.tokens.listOperatorTokens();
  }

  revokeOperatorToken(id: string, at: number): boolean {
    return this.tokens.revokeOperatorToken(id, at);
  }

  recordOperatorTokenUse(id: string, at: number): void {
    this.tokens.recordOperatorTokenUse(id, at);
  }

  // Deployments, events, steps, locks and sealed secrets (sqlite-deployments.ts).

  createDeployment(d: NewDeployment, secrets?: ServiceSecrets): DeploymentRecord {
    return this.deployments.createDeployment(d, secrets);
  }

  finishDeployment(id: string, outcome: { status: FinishedStatus; error: string | null; exitCode: number; at: number }): void {
    this.deployments.finishDeployment(id, outcome);
  }

  getDeployment(id: string): DeploymentRecord | null {
    return this.deployments.getDeployment(id);
  }

  listDeployments(filter?: { service?: string; destination?: string | null; status?: DeploymentStatus; limit?: number }): DeploymentRecord[] {
    return this.deployments.listDeployments(filter);
  }

  appendEvent(deploymentId: string, at: number, event: unknown): number {
    return this.deployments.appendEvent(deploymentId, at, event);
  }

  afterCommit(cb: () => void): void {
    this.deployments.afterCommit(cb);
  }

  listEvents(deploymentId: string, from: number, limit?: number): DeploymentEventRecord[] {
    return this.deployments.listEvents(deploymentId, from, limit);
  }

  recordStep(step: StepRecord): void {
    this.deployments.recordStep(step);
  }

  listSteps(deploymentId: string): StepRecord[] {
    return this.deployments.listSteps(deploymentId);
  }

  failInterruptedDeployments(reason: string, at: number): DeploymentRecord[] {
    return this.deployments.failInterruptedDeployments(reason, at);
  }

  acquireLock(lock: LockRecord): { acquired: true; lock: LockRecord } | { acquired: false; held: LockRecord } {
    return this.deployments.acquireLock(lock);
  }

  getLock(key: string): LockRecord | null {
    return this.deployments.getLock(key);
  }

  serviceLocks(key: string): LockRecord[] {
    return this.deployments.serviceLocks(key);
  }

  listLocks(): LockRecord[] {
    return this.deployments.listLocks();
  }

  releaseLock(key: string, opts?: { deploymentId?: string }): boolean {
    return this.deployments.releaseLock(key, opts);
  }

  putServiceSecrets(key: string, version: string, sealed: Buffer, at: number, keep?: number): void {
    this.deployments.putServiceSecrets(key, version, sealed, at, keep);
  }

  getServiceSecrets(key: string, version: string): Buffer | null {
    return this.deployments.getServiceSecrets(key, version);
  }

  listServiceSecretVersions(key: string): string[] {
    return this.deployments.listServiceSecretVersions(key);
  }

  close(): void {
    if (!this.db.open) return;
    this.deployments.close();
    this.db.close();
  }
}
