import type { DeploymentStore } from './deployment-store.js';

export type * from './deployment-store.js';

/**
 * The controller's durable state, behind an interface narrow enough that a
 * server database can replace SQLite later. Every mutating call is durable
 * (fsync'd) when it returns, except presence updates, which are batched.
 * Deployments, locks and sealed secrets: see deployment-store.ts.
 */
export interface Store extends DeploymentStore {
  /** Creates an agent, consuming `consumeJti` in the same transaction when given. */
  enrollAgent(agent: NewAgent, consumeJti: string | null): AgentRecord;
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

  createOperatorToken(token: OperatorTokenRecord): void;
  findOperatorTokenByHash(hash: string): OperatorTokenRecord | null;
  listOperatorTokens(): OperatorTokenRecord[];

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

export type OperatorScope = 'admin' | 'deploy' | 'read';

export interface OperatorTokenRecord {
  id: string;
  name: string;
  scope: OperatorScope;
  /** SHA-256 hex of the secret; the secret itself is never stored. */
  hash: string;
  createdAt: number;
  revokedAt: number | null;
}

/** A write that conflicts with existing state (name taken, token already used). */
export class StoreConflict extends Error {
  readonly reason: 'name_taken' | 'token_used';
  constructor(reason: 'name_taken' | 'token_used', message: string) {
    super(message);
    this.name = 'StoreConflict';
    this.reason = reason;
  }
}
