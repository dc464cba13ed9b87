import type { WebSocket } from 'ws';
import type { RpcSession } from '@drover/shared/protocol';
import type { AgentRecord } from '../store/store.js';

/**
 * Per-socket state, kept deliberately small: the controller holds 10k of
 * these. No timers live here except the short handshake deadline.
 */
export class AgentConnection {
  state: 'hello' | 'auth' | 'ready' | 'closed' = 'hello';
  agentId: string | null = null;
  name = '';
  nonce: string | null = null;
  /** The enrolled agent as read at hello; revocation drops pending handshakes too. */
  record: AgentRecord | null = null;
  /** Cleared on every heartbeat tick, set again by a pong. */
  alive = true;
  authTimer: NodeJS.Timeout | null = null;
  session: RpcSession | null = null;
  readonly connectedAt = Date.now();

  constructor(readonly ws: WebSocket, readonly address: string) {}
}
