/**
 * Ordered schema migrations. Append only: a released migration never changes,
 * a new one gets the next version. Each runs in its own transaction.
 * `rebuildsTables`: the migration recreates tables that others reference, so it runs with foreign
 * keys off (dropping the old table must not cascade) and checks them before it commits (SQLite's
 * documented procedure for schema changes ALTER TABLE cannot make).
 */
export const MIGRATIONS: { version: number; name: string; sql: string; rebuildsTables?: true }[] = [
  {
    version: 1,
    name: 'agents, join token uses, operator tokens',
    sql: `
      CREATE TABLE agents (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        public_key TEXT NOT NULL,
        labels TEXT NOT NULL DEFAULT '{}',
        enrolled_at INTEGER NOT NULL,
        revoked_at INTEGER,
        last_seen INTEGER,
        last_address TEXT,
        hostname TEXT,
        agent_version TEXT,
        docker_version TEXT
      );
      -- Names are unique among live agents; a revoked name can be enrolled again.
      CREATE UNIQUE INDEX agents_live_name ON agents(name) WHERE revoked_at IS NULL;
      CREATE TABLE join_token_uses (
        jti TEXT PRIMARY KEY,
        used_at INTEGER NOT NULL,
        agent_id TEXT NOT NULL
      );
      CREATE TABLE operator_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('admin', 'deploy', 'read')),
        hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'deployments, deployment events and steps, deploy locks, service secrets',
    sql: `
      CREATE TABLE deployments (
        id TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        destination TEXT,
        command TEXT NOT NULL CHECK (command IN ('deploy', 'redeploy', 'rollback', 'setup', 'remove')),
        version TEXT NOT NULL,
        performer TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        snapshot TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        finished_at INTEGER,
        error TEXT,
        exit_code INTEGER,
        -- Maintained by appendEvent in the same transaction as the event row.
        event_count INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX deployments_service ON deployments(service, destination, created_at);
      CREATE INDEX deployments_created ON deployments(created_at);
      CREATE INDEX deployments_running ON deployments(status) WHERE status = 'running';
      CREATE TABLE deployment_events (
        deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        at INTEGER NOT NULL,
        event TEXT NOT NULL,
        PRIMARY KEY (deployment_id, idx)
      ) WITHOUT ROWID;
      CREATE TABLE deployment_steps (
        deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
        step_id TEXT NOT NULL,
        host TEXT,
        kind TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        error TEXT,
        PRIMARY KEY (deployment_id, step_id)
      );
      -- One row per held lock; key is <service>[-<destination>].
      CREATE TABLE locks (
        key TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        message TEXT NOT NULL,
        version TEXT,
        acquired_at INTEGER NOT NULL,
        automatic INTEGER NOT NULL CHECK (automatic IN (0, 1)),
        deployment_id TEXT
      );
      CREATE INDEX locks_deployment ON locks(deployment_id) WHERE deployment_id IS NOT NULL;
      -- Sealed (AES-256-GCM, see secret-box.ts) secrets per service version; seq orders versions per key.
      CREATE TABLE service_secrets (
        key TEXT NOT NULL,
        version TEXT NOT NULL,
        sealed BLOB NOT NULL,
        stored_at INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (key, version)
      );
      CREATE INDEX service_secrets_seq ON service_secrets(key, seq);
    `,
  },
  {
    version: 3,
    name: 'deployments.command holds subcommands too (app boot, proxy reboot, …)',
    rebuildsTables: true,
    sql: `
      CREATE TABLE deployments_v3 (
        id TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        destination TEXT,
        -- deploy, redeploy, …, or a subcommand as Kamal spells it; the controller checks the name.
        command TEXT NOT NULL CHECK (length(command) BETWEEN 1 AND 64),
        version TEXT NOT NULL,
        performer TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        snapshot TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        finished_at INTEGER,
        error TEXT,
        exit_code INTEGER,
        event_count INTEGER NOT NULL DEFAULT 0
      );
      -- rowid too: it orders deployments created in the same millisecond.
      INSERT INTO deployments_v3 (rowid, id, service, destination, command, version, performer, created_at, snapshot, status, finished_at, error, exit_code, event_count)
        SELECT rowid, id, service, destination, command, version, performer, created_at, snapshot, status, finished_at, error, exit_code, event_count FROM deployments;
      DROP TABLE deployments;
      ALTER TABLE deployments_v3 RENAME TO deployments;
      CREATE INDEX deployments_service ON deployments(service, destination, created_at);
      CREATE INDEX deployments_created ON deployments(created_at);
      CREATE INDEX deployments_running ON deployments(status) WHERE status = 'running';
    `,
  },
  {
    version: 4,
    name: 'operator tokens expire and record their last use, metrics scope; join tokens recorded (list, revoke)',
    sql: `
      -- Rebuilt for the scope CHECK (adds metrics); nothing references operator_tokens.
      CREATE TABLE operator_tokens_v4 (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('admin', 'deploy', 'read', 'metrics')),
        hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        -- Written at most once a minute per token (auth/operator-token.ts), not on every request.
        last_used_at INTEGER,
        revoked_at INTEGER
      );
      INSERT INTO operator_tokens_v4 (id, name, scope, hash, created_at, revoked_at)
        SELECT id, name, scope, hash, created_at, revoked_at FROM operator_tokens;
      DROP TABLE operator_tokens;
      ALTER TABLE operator_tokens_v4 RENAME TO operator_tokens;
      -- Every minted join token (jti): enrollment accepts only a recorded, unrevoked one. Tokens minted
      -- before this version have no row and are refused (they lived at most 7 days; mint a new one).
      CREATE TABLE join_tokens (
        jti TEXT PRIMARY KEY,
        name TEXT,
        labels TEXT NOT NULL DEFAULT '{}',
        reusable INTEGER NOT NULL CHECK (reusable IN (0, 1)),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        uses INTEGER NOT NULL DEFAULT 0,
        last_used_at INTEGER,
        revoked_at INTEGER
      );
      CREATE INDEX join_tokens_created ON join_tokens(created_at);
    `,
  },
  {
    version: 5,
    name: 'deployments end rolled_back (x-drover/auto_rollback)',
    rebuildsTables: true,
    sql: `
      CREATE TABLE deployments_v5 (
        id TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        destination TEXT,
        command TEXT NOT NULL CHECK (length(command) BETWEEN 1 AND 64),
        version TEXT NOT NULL,
        performer TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        snapshot TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'rolled_back')),
        finished_at INTEGER,
        error TEXT,
        exit_code INTEGER,
        event_count INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO deployments_v5 (rowid, id, service, destination, command, version, performer, created_at, snapshot, status, finished_at, error, exit_code, event_count)
        SELECT rowid, id, service, destination, command, version, performer, created_at, snapshot, status, finished_at, error, exit_code, event_count FROM deployments;
      DROP TABLE deployments;
      ALTER TABLE deployments_v5 RENAME TO deployments;
      CREATE INDEX deployments_service ON deployments(service, destination, created_at);
      CREATE INDEX deployments_created ON deployments(created_at);
      CREATE INDEX deployments_running ON deployments(status) WHERE status = 'running';
    `,
  },
  {
    version: 6,
    name: 'hosts waiting to converge to the version a deployment skipped them for; controller settings',
    sql: `
      CREATE TABLE pending_convergence (
        key TEXT NOT NULL,
        host TEXT NOT NULL,
        version TEXT NOT NULL,
        deployment_id TEXT NOT NULL,
        since INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        PRIMARY KEY (key, host)
      );
      CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: 'label fleets: the selectors, version and hosts of each service deployed by label; why a host waits to converge',
    sql: `
      ALTER TABLE pending_convergence ADD COLUMN reason TEXT NOT NULL DEFAULT 'skipped';
      CREATE TABLE label_fleets (
        key TEXT PRIMARY KEY,
        version TEXT NOT NULL,
        deployment_id TEXT NOT NULL,
        selectors TEXT NOT NULL,
        members TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
];
