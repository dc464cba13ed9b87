import type Database from 'better-sqlite3';
import type { ConvergenceStore, PendingConvergence } from './convergence-store.js';

type Row = Record<string, unknown>;

export class SqliteConvergence implements ConvergenceStore {
  constructor(private readonly db: Database.Database) {}

  pendingConvergence(): PendingConvergence[] {
    return (this.db.prepare('SELECT * FROM pending_convergence ORDER BY since, key, host').all() as Row[]).map((r) => ({
      key: String(r.key), host: String(r.host), version: String(r.version), deploymentId: String(r.deployment_id),
      since: Number(r.since), attempts: Number(r.attempts), lastError: r.last_error === null ? null : String(r.last_error),
    }));
  }

  recordDeployed(e: { key: string; version: string; deploymentId: string; deployed: string[]; skipped: string[]; at: number }): void {
    this.db.transaction(() => {
      const remove = this.db.prepare('DELETE FROM pending_convergence WHERE key = ? AND host = ?');
      for (const host of e.deployed) remove.run(e.key, host);
      const put = this.db.prepare(`INSERT INTO pending_convergence (key, host, version, deployment_id, since, attempts, last_error)
        VALUES (@key, @host, @version, @deploymentId, @at, 0, NULL)
        ON CONFLICT (key, host) DO UPDATE SET version = excluded.version, deployment_id = excluded.deployment_id, since = excluded.since, attempts = 0, last_error = NULL`);
      for (const host of e.skipped) put.run({ key: e.key, host, version: e.version, deploymentId: e.deploymentId, at: e.at });
    }).immediate();
  }

  noteConvergenceAttempt(key: string, host: string, error: string | null): void {
    if (error === null) this.db.prepare('UPDATE pending_convergence SET attempts = attempts + 1 WHERE key = ? AND host = ?').run(key, host);
    else this.db.prepare('UPDATE pending_convergence SET last_error = ? WHERE key = ? AND host = ?').run(error, key, host);
  }

  convergencePaused(): boolean {
    return (this.db.prepare("SELECT value FROM settings WHERE name = 'convergence_paused'").get() as Row | undefined)?.value === '1';
  }

  setConvergencePaused(paused: boolean): void {
    this.db.prepare("INSERT INTO settings (name, value) VALUES ('convergence_paused', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value").run(paused ? '1' : '0');
  }
}
