// `@drover/shared/protocol`: the controller ⇄ agent wire protocol, used by both ends.
export * from './protocol/limits.js';
export * from './protocol/close-codes.js';
export * from './protocol/messages.js';
export * from './protocol/decode.js';
export * from './protocol/rpc-error.js';
export * from './protocol/stream.js';
export * from './protocol/session.js';
export * from './protocol/blob.js';
export * from './protocol/pin.js';
export * from './protocol/plain-http.js';
export * from './protocol/enrollment.js';
