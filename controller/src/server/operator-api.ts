import { z } from 'zod';
import { AgentName, Inventory, Labels } from '@drover/shared/protocol';
import { OPERATOR_SCOPES } from '../store/store.js';

// Operator HTTP API bodies, shared by the routes and the CLI's client.

export const AgentView = z.object({
  id: z.string(),
  name: z.string(),
  labels: z.record(z.string()),
  online: z.boolean(),
  lastSeen: z.number().nullable(),
  address: z.string().nullable(),
  hostname: z.string().nullable(),
  agentVersion: z.string().nullable(),
  dockerVersion: z.string().nullable(),
  enrolledAt: z.number(),
});
export type AgentView = z.infer<typeof AgentView>;
export const AgentList = z.object({ agents: z.array(AgentView) });

export const MintJoinTokenBody = z.object({
  name: AgentName.optional(),
  labels: Labels.optional(),
  ttlSeconds: z.number().int().min(60).max(7 * 24 * 3600).default(3600),
  reusable: z.boolean().default(false),
}).strict();
export type MintJoinTokenBody = z.input<typeof MintJoinTokenBody>;

export const MintJoinTokenResult = z.object({
  /** The token's id, for `drover agents token list|revoke`. */
  id: z.string(),
  token: z.string(),
  expiresAt: z.number(),
  url: z.string(),
  fingerprint: z.string(),
  installCommand: z.string(),
});
export type MintJoinTokenResult = z.infer<typeof MintJoinTokenResult>;

export const LabelPatch = z.object({
  set: Labels.default({}),
  remove: z.array(z.string().max(63)).max(64).default([]),
}).strict();
export type LabelPatch = z.input<typeof LabelPatch>;

export const TtySize = z.object({ cols: z.number().int().min(1).max(10_000), rows: z.number().int().min(1).max(10_000) }).strict();
export type TtySize = z.infer<typeof TtySize>;

export const RpcBody = z.object({
  method: z.string().min(1).max(128),
  params: z.unknown().optional(),
  /** The call's deadline. Default 30 s; a followed stream (`stream.follow`) has none unless given. */
  timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
  /**
   * Call with a stream: send `input` (base64), optionally a TTY resize, then eof. Without `follow` the
   * output is collected and answered with the result (`RpcResult`); with `follow` it is answered as it
   * comes, as NDJSON `RpcFollowLine`s, for as long as the call runs and the client stays.
   */
  stream: z.object({
    input: z.string().max(8 * 1024 * 1024).default(''),
    resize: TtySize.optional(),
    follow: z.boolean().default(false),
  }).strict().optional(),
}).strict();
export type RpcBody = z.input<typeof RpcBody>;

/** The error part of `ApiError`: what a failed call answers, over HTTP or in-band (follow, attach). */
export const ApiErrorBody = z.object({
  code: z.string(),
  message: z.string(),
  details: z.array(z.string()).optional(),
  exitCode: z.number().int().min(0).max(255).optional(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/**
 * One line of a followed call's answer (`POST /v1/agents/:name/rpc` with `stream.follow`), in order:
 * any number of `output` (base64 bytes, as the agent wrote them) and `keepalive` (sent after
 * `x-drover-keepalive-ms` without output), then exactly one `result` or `error`, then the body ends.
 */
export const RpcFollowLine = z.discriminatedUnion('t', [
  z.object({ t: z.literal('output'), data: z.string() }),
  z.object({ t: z.literal('keepalive') }),
  z.object({ t: z.literal('result'), result: z.unknown() }),
  z.object({ t: z.literal('error'), error: ApiErrorBody }),
]);
export type RpcFollowLine = z.infer<typeof RpcFollowLine>;

/**
 * Followed calls and attached sessions: the controller sends something (a keepalive line, a ping) at least
 * this often — its agent heartbeat (`--heartbeat-ms`), sent as this header; the default when it is absent.
 */
export const STREAM_KEEPALIVE_MS = 15_000;
export const KEEPALIVE_HEADER = 'x-drover-keepalive-ms';

/** The websocket an operator attaches to an agent's exec stream with (`GET` + upgrade, bearer token, scope deploy). */
export const attachPath = (agent: string): string => `/v1/agents/${encodeURIComponent(agent)}/attach`;
export const ATTACH_PATH_PATTERN = /^\/v1\/agents\/([^/]+)\/attach$/;

/** Attach: the client's first frame (text), within 10 s of the upgrade. */
export const AttachStart = z.object({
  method: z.string().min(1).max(128),
  params: z.unknown().optional(),
  /** The terminal's size, applied before any input. */
  size: TtySize.optional(),
  /** The call's deadline; none by default (an interactive session lasts as long as the operator stays). */
  timeoutMs: z.number().int().min(1).max(2_147_000_000).optional(),
}).strict();
export type AttachStart = z.infer<typeof AttachStart>;

/** Attach: later client text frames (binary frames are the command's input). */
export const AttachControl = z.union([
  z.object({ resize: TtySize }).strict(),
  /** End of input (half-close); a TTY ignores it (the operator types ^D). */
  z.object({ eof: z.literal(true) }).strict(),
]);
export type AttachControl = z.infer<typeof AttachControl>;

/** Attach: the controller's last text frame (binary frames are the command's output); then it closes (1000). */
export const AttachEnd = z.union([
  /** The call's exit code (`result.exitCode` when it has one, else 0) and its whole result. */
  z.object({ exit: z.number().int(), result: z.unknown() }),
  z.object({ error: ApiErrorBody }),
]);
export type AttachEnd = z.infer<typeof AttachEnd>;

/** `GET /v1/agents/:name/inventory`: the agent's last inventory (on connect and after every change). */
export const AgentInventory = z.object({ name: z.string(), online: z.boolean(), inventory: Inventory });
export type AgentInventory = z.infer<typeof AgentInventory>;

export const RpcResult = z.object({ result: z.unknown(), output: z.string().optional() });

export const WhoAmI = z.object({
  tokenName: z.string(),
  scope: z.enum(OPERATOR_SCOPES),
  controllerId: z.string(),
  fingerprint: z.string(),
});
export type WhoAmI = z.infer<typeof WhoAmI>;

/**
 * Every error answer. A failed agent operation (`operation_failed`) also carries `details`, the lines
 * to show under the message (the failed container's last log lines, its health), and the agent's exit code.
 * Secret values from the call's params never appear in either (redacted on the agent, again here).
 */
export const ApiError = z.object({ error: ApiErrorBody });
export type ApiError = z.infer<typeof ApiError>;
