import type Database from 'better-sqlite3';
import type { ConvergenceStore, DeployedRecord, LabelFleet, PendingConvergence } from './convergence-store.js';

type Row = Record<string, unknown>;

export class SqliteConvergence implements ConvergenceStore {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** Prepared once per SQL text. */
  private q(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  pendingConvergence(): PendingConvergence[] {
    return (this.q('SELECT * FROM pending_convergence ORDER BY since, key, host').all() as Row[]).map((r) => ({
      key: String(r.key), host: String(r.host), version: String(r.version), deploymentId: String(r.deployment_id),
      reason: r.reason === 'joined' ? 'joined' : 'skipped',
      since: Number(r.since), attempts: Number(r.attempts), lastError: r.last_error === null ? null : String(r.last_error),
    }));
  }

  recordDeployed(e: DeployedRecord): void {
    this.db.transaction(() => {
      const remove = this.q('DELETE FROM pending_convergence WHERE key = ? AND host = ?');
      for (const host of e.deployed) remove.run(e.key, host);
      for (const host of e.skipped) this.putPending({ key: e.key, host, version: e.version, deploymentId: e.deploymentId, reason: 'skipped', at: e.at });
      if (e.fleet === undefined) return;
      // Joiners still waiting follow the newest version (they never ran the one they were admitted at).
      this.q(`UPDATE pending_convergence SET version = ?, deployment_id = ?, attempts = 0, last_error = NULL WHERE key = ? AND reason = 'joined'`)
        .run(e.version, e.deploymentId, e.key);
      if (e.fleet === null) {
        this.q('DELETE FROM label_fleets WHERE key = ?').run(e.key);
        return;
      }
      const waiting = (this.q(`SELECT host FROM pending_convergence WHERE key = ? AND reason = 'joined'`).all(e.key) as Row[]).map((r) => String(r.host));
      const members = [...new Set([...e.fleet.members, ...waiting])].sort();
      this.q(`INSERT INTO label_fleets (key, version, deployment_id, selectors, members, updated_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET version = excluded.version, deployment_id = excluded.deployment_id, selectors = excluded.selectors,
          members = excluded.members, updated_at = excluded.updated_at`)
        .run(e.key, e.version, e.deploymentId, JSON.stringify(e.fleet.selectors), JSON.stringify(members), e.at);
    }).immediate();
  }

  private putPending(p: { key: string; host: string; version: string; deploymentId: string; reason: PendingConvergence['reason']; at: number }): void {
    this.q(`INSERT INTO pending_convergence (key, host, version, deployment_id, reason, since, attempts, last_error)
      VALUES (@key, @host, @version, @deploymentId, @reason, @at, 0, NULL)
      ON CONFLICT (key, host) DO UPDATE SET version = excluded.version, deployment_id = excluded.deployment_id, reason = excluded.reason,
        since = excluded.since, attempts = 0, last_error = NULL`).run(p);
  }

  forgetService(key: string): void {
    this.db.transaction(() => {
      this.q('DELETE FROM pending_convergence WHERE key = ?').run(key);
      this.q('DELETE FROM label_fleets WHERE key = ?').run(key);
    }).immediate();
  }

  labelFleets(): LabelFleet[] {
    return (this.q('SELECT * FROM label_fleets ORDER BY key').all() as Row[]).map((r) => ({
      key: String(r.key), version: String(r.version), deploymentId: String(r.deployment_id),
      selectors: JSON.parse(String(r.selectors)) as LabelFleet['selectors'], members: JSON.parse(String(r.members)) as string[],
    }));
  }

  admitToFleet(key: string, hosts: string[], at: number): void {
    this.db.transaction(() => {
      const fleet = this.labelFleets().find((f) => f.key === key);
      if (!fleet) return;
      const members = [...new Set([...fleet.members, ...hosts])].sort();
      this.q('UPDATE label_fleets SET members = ? WHERE key = ?').run(JSON.stringify(members), key);
      for (const host of hosts) this.putPending({ key, host, version: fleet.version, deploymentId: fleet.deploymentId, reason: 'joined', at });
    }).immediate();
  }

  noteConvergenceAttempt(key: string, host: string, error: string | null): void {
    if (error === null) this.q('UPDATE pending_convergence SET attempts = attempts + 1 WHERE key = ? AND host = ?').run(key, host);
    else this.q('UPDATE pending_convergence SET last_error = ? WHERE key = ? AND host = ?').run(error, key, host);
  }

  convergencePaused(): boolean {
    return (this.q("SELECT value FROM settings WHERE name = 'convergence_paused'").get() as Row | undefined)?.value === '1';
  }

  setConvergencePaused(paused: boolean): void {
    this.q("INSERT INTO settings (name, value) VALUES ('convergence_paused', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value").run(paused ? '1' : '0');
  }
}
