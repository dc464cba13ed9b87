/**
 * Websocket close codes used between controller and agent (4000–4999 is the
 * application range). Each rejection has its own code so an agent and an
 * operator reading logs can tell exactly why a connection ended.
 */
export const CloseCode = {
  /** Normal shutdown of either end. */
  Normal: 1000,
  /** Controller or agent is going away (restart, shutdown). */
  GoingAway: 1001,
  /** Frame larger than MAX_FRAME_BYTES (sent by ws itself). */
  TooLarge: 1009,
  /** This end failed while handling the connection (a database error); the peer may retry later. */
  InternalError: 1011,
  /** Malformed frame before authentication: invalid JSON, schema violation, unexpected type. */
  ProtocolError: 4000,
  /** The peer speaks a protocol version this end does not. */
  UnsupportedVersion: 4001,
  /** hello/auth not completed within AUTH_TIMEOUT_MS. */
  AuthTimeout: 4002,
  /** No agent with this id is enrolled. */
  UnknownAgent: 4010,
  /** The agent was revoked by an operator. */
  RevokedAgent: 4011,
  /** The auth JWT's signature does not verify against the enrolled public key. */
  BadSignature: 4012,
  /** The auth JWT carries another nonce than this connection's challenge (replay). */
  WrongNonce: 4013,
  /** The auth JWT is expired, not yet valid, or claims a lifetime over 60 s. */
  Expired: 4014,
  /** The auth JWT is addressed to another controller. */
  WrongAudience: 4015,
  /** A newer connection for the same agent authenticated; this older one is closed. */
  Replaced: 4016,
  /** The auth message is not a well-formed JWT with the required claims. */
  MalformedAuth: 4017,
  /** Heartbeat lost: no pong within two heartbeat intervals. */
  HeartbeatLost: 4020,
} as const;

export type CloseCodeName = keyof typeof CloseCode;

/** Close codes after which an agent must not reconnect: retrying cannot succeed. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.UnknownAgent, CloseCode.RevokedAgent, CloseCode.UnsupportedVersion]);

const names = new Map<number, string>(Object.entries(CloseCode).map(([k, v]) => [v, k]));

/** Human name of a close code, for logs ("RevokedAgent (4011)"). */
export function describeCloseCode(code: number): string {
  const name = names.get(code);
  return name ? `${name} (${code})` : `code ${code}`;
}
