/** Error codes an RPC can fail with on the wire, besides handler-specific ones. */
export const RpcErrorCode = {
  UnknownMethod: 'unknown_method',
  InvalidParams: 'invalid_params',
  DeadlineExceeded: 'deadline_exceeded',
  Cancelled: 'cancelled',
  Disconnected: 'disconnected',
  Busy: 'busy',
  Internal: 'internal',
  StreamViolation: 'stream_violation',
  /** Params or result over MAX_RPC_PAYLOAD_BYTES: that one call fails, the connection stays. */
  TooLarge: 'too_large',
} as const;

/** An RPC failure as seen by the caller, or thrown by a handler to choose the wire error code. */
export class RpcError extends Error {
  readonly code: string;
  readonly details: unknown;

  constructor(code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.details = details;
  }
}
