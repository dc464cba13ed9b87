import type { DeploymentStore } from './deployment-store.js';

export type * from './deployment-store.js';

/**
 * The controller's durable state, behind an interface narrow enough that a
 * server database can replace SQLite later. Every mutating call is durable
 * (fsync'd) when it returns, except presence updates, which are batched.
 * Deployments, locks and sealed secrets: see deployment-store.ts.
 */
export interface Store extends DeploymentStore {
  /**
   * Creates an agent, using join token `joinTokenId` in the same transaction when given: it must be
   * recorded and not revoked, and a single-use one not used yet (StoreConflict otherwise).
   */
  enrollAgent(agent: NewAgent, joinTokenId: string | null): AgentRecord;
  getAgent(id: string): AgentRecord | null;
  /** The live (not revoked) agent with this name. */
  getAgentByName(name: string): AgentRecord | null;
  listAgents(opts?: { includeRevoked?: boolean }): AgentRecord[];
  /** Marks revoked; returns false if there was no live agent with that id. */
  revokeAgent(id: string, at: number): boolean;
  setAgentLabels(id: string, labels: Record<string, string>): void;
  /** Connection facts (last seen, address, versions); written in one transaction. */
  recordPresence(updates: PresenceUpdate[]): void;
  isJoinTokenUsed(jti: string): boolean;

  createJoinToken(token: NewJoinToken): void;
  getJoinToken(id: string): JoinTokenRecord | null;
  /** Newest first. */
  listJoinTokens(): JoinTokenRecord[];
  /** Marks revoked; false if there was no unrevoked join token with that id. */
  revokeJoinToken(id: string, at: number): boolean;

  createOperatorToken(token: OperatorTokenRecord): void;
  findOperatorTokenByHash(hash: string): OperatorTokenRecord | null;
  listOperatorTokens(): OperatorTokenRecord[];
  /** Marks revoked; false if there was no unrevoked operator token with that id. */
  revokeOperatorToken(id: string, at: number): boolean;
  /** Sets the token's last use (callers throttle: see auth/operator-token.ts). */
  recordOperatorTokenUse(id: string, at: number): void;

  close(): void;
}

export interface NewAgent {
  id: string;
  name: string;
  /** Ed25519 public key, SPKI DER base64. */
  publicKey: string;
  labels: Record<string, string>;
  enrolledAt: number;
  hostname: string | null;
  agentVersion: string | null;
}

export interface AgentRecord extends NewAgent {
  revokedAt: number | null;
  lastSeen: number | null;
  lastAddress: string | null;
  dockerVersion: string | null;
}

export interface PresenceUpdate {
  id: string;
  lastSeen: number;
  lastAddress?: string | null;
  hostname?: string;
  agentVersion?: string;
  dockerVersion?: string | null;
}

/** admin ⊇ deploy ⊇ read; metrics reads `/metrics` only (for a scraper). */
export const OPERATOR_SCOPES = ['admin', 'deploy', 'read', 'metrics'] as const;
export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

export interface OperatorTokenRecord {
  id: string;
  name: string;
  scope: OperatorScope;
  /** SHA-256 hex of the secret; the secret itself is never stored. */
  hash: string;
  createdAt: number;
  /** null: never expires. */
  expiresAt: number | null;
  /** Minute resolution (recorded at most once a minute). */
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** A minted join token, by its JWT id; the token itself is not stored. */
export interface NewJoinToken {
  id: string;
  /** The agent name it enrolls; null: the host chooses. */
  name: string | null;
  labels: Record<string, string>;
  reusable: boolean;
  createdAt: number;
  expiresAt: number;
}

export interface JoinTokenRecord extends NewJoinToken {
  /** Enrollments made with it. */
  uses: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

type ConflictReason = 'name_taken' | 'token_used' | 'token_revoked' | 'token_unknown';

/** A write that conflicts with existing state (name taken, token already used, revoked or unknown). */
export class StoreConflict extends Error {
  readonly reason: ConflictReason;
  constructor(reason: ConflictReason, message: string) {
    super(message);
    this.name = 'StoreConflict';
    this.reason = reason;
  }
}
