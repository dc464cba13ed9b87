/**
 * Ordered schema migrations. Append only: a released migration never changes,
 * a new one gets the next version. Each runs in its own transaction.
 */
export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
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
];
