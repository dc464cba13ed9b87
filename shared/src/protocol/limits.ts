/** Wire version spoken by this build; bumped on any incompatible message change. */
export const PROTOCOL_VERSION = 1;

/** Largest websocket frame either end accepts; bigger frames close the connection (ws code 1009). */
export const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * Largest params or result (JSON bytes) one call may carry. A payload over one frame travels as a blob on a
 * stream of its own (session.ts, blob.ts) instead of breaking the connection; over this it is refused.
 */
export const MAX_RPC_PAYLOAD_BYTES = 16 * 1024 * 1024;

/** Blob bytes one session holds at once for calls not yet delivered; a peer cannot park more. */
export const MAX_PENDING_BLOB_BYTES = 2 * MAX_RPC_PAYLOAD_BYTES;

/** A blob not claimed by its call within this time is dropped. */
export const BLOB_CLAIM_TIMEOUT_MS = 60_000;

/** Largest decoded stream chunk a sender may put in one `data` message. */
export const MAX_CHUNK_BYTES = 256 * 1024;

/** Bytes a stream receiver grants up front; more arrives as `credit` messages. */
export const INITIAL_STREAM_WINDOW = 1024 * 1024;

/** An unauthenticated connection must finish hello → auth within this time. */
export const AUTH_TIMEOUT_MS = 10_000;

/** Agent auth JWTs may live at most this long (exp - iat). */
export const MAX_AUTH_TOKEN_LIFETIME_S = 60;

/** Default heartbeat period; a peer silent for two periods is considered gone. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** Default RPC deadline when the caller gives none. */
export const DEFAULT_RPC_TIMEOUT_MS = 30_000;

/** Websocket path agents connect to. */
export const AGENT_CONNECT_PATH = '/v1/agent/connect';

/** HTTP path agents enroll at. */
export const AGENT_ENROLL_PATH = '/v1/agent/enroll';

/** Audience of join tokens (agent auth JWTs use the controller id instead). */
export const JOIN_TOKEN_AUDIENCE = 'drover:enroll';
