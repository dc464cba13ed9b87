import { z } from 'zod';
import { MAX_CHUNK_BYTES, PROTOCOL_VERSION } from './limits.js';

// Every frame is one JSON object with a `t` (type) field. Ids are strings so
// both ends can mint them without coordination ("c1", "a7", …).

const id = z.string().min(1).max(64);
const method = z.string().min(1).max(128).regex(/^[a-zA-Z0-9_.:-]+$/);
const shortText = z.string().max(4096);

/** agent → controller, first frame after the websocket opens. */
export const Hello = z.object({
  t: z.literal('hello'),
  v: z.number().int().positive(),
  agentId: z.string().min(1).max(128),
  agentVersion: z.string().max(64),
}).strict();

/** controller → agent, answer to hello: sign this nonce. */
export const Challenge = z.object({
  t: z.literal('challenge'),
  v: z.literal(PROTOCOL_VERSION),
  nonce: z.string().min(16).max(128),
  controllerId: z.string().min(1).max(128),
  /** Controller clock, epoch seconds: the agent dates its JWT with it so host clock skew cannot fail auth. */
  now: z.number().int().positive(),
}).strict();

/** agent → controller: JWT (EdDSA) with iss/sub = agentId, aud = controllerId, nonce, exp ≤ 60 s. */
export const Auth = z.object({
  t: z.literal('auth'),
  token: z.string().min(1).max(8192),
}).strict();

/** controller → agent: authenticated; heartbeatMs tells the agent how often to expect pings. */
export const Welcome = z.object({
  t: z.literal('welcome'),
  agentId: z.string(),
  name: z.string(),
  labels: z.record(z.string()),
  heartbeatMs: z.number().int().positive(),
}).strict();

/** Call `method` on the peer. deadline is epoch ms; stream opens a bidirectional byte stream keyed by id. */
export const Request = z.object({
  t: z.literal('req'),
  id,
  method,
  params: z.unknown().optional(),
  deadline: z.number().int().positive(),
  stream: z.boolean().optional(),
  /** The params did not fit a frame: they arrived before this request as the `rpc.blob` upload with this id. */
  paramsBlob: id.optional(),
}).strict();

export const RpcErrorBody = z.object({
  code: z.string().max(64),
  message: shortText,
  details: z.unknown().optional(),
}).strict();

/** Answer to request `id`: `result` when ok, `error` otherwise. */
export const Response = z.object({
  t: z.literal('res'),
  id,
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: RpcErrorBody.optional(),
  /** The result did not fit a frame: it arrived before this answer as the `rpc.blob` upload with this id. */
  resultBlob: id.optional(),
}).strict();

/** Caller gives up on request `id`; the handler's AbortSignal fires. */
export const Cancel = z.object({ t: z.literal('cancel'), id, reason: shortText.optional() }).strict();

/** Stream bytes for request `id`. utf8 for text (logs), base64 for anything else. */
export const Data = z.object({
  t: z.literal('data'),
  id,
  enc: z.enum(['utf8', 'base64']),
  chunk: z.string().max(Math.ceil((MAX_CHUNK_BYTES * 4) / 3) + 4),
}).strict();

/** Receiver of stream `id` allows the sender `bytes` more decoded bytes. */
export const Credit = z.object({ t: z.literal('credit'), id, bytes: z.number().int().positive().max(64 * 1024 * 1024) }).strict();

/** Sender will write no more on stream `id` (stdin closed); the other direction stays open. */
export const Eof = z.object({ t: z.literal('eof'), id }).strict();

/** Out-of-band control for stream `id`: TTY resize, signal. */
export const Control = z.object({
  t: z.literal('ctl'),
  id,
  resize: z.object({ cols: z.number().int().min(1).max(10000), rows: z.number().int().min(1).max(10000) }).strict().optional(),
  signal: z.string().max(16).optional(),
}).strict();

/** One container Drover or Kamal manages on a host, classified from its labels and name. */
export const ManagedContainer = z.object({
  id: z.string().max(128),
  name: z.string().max(255),
  kind: z.enum(['app', 'accessory', 'proxy', 'replaced', 'exec']),
  service: z.string().max(255).nullable(),
  role: z.string().max(255).nullable(),
  destination: z.string().max(255).nullable(),
  version: z.string().max(255).nullable(),
  image: z.string().max(512),
  state: z.string().max(32),
  health: z.enum(['starting', 'healthy', 'unhealthy', 'none']),
  createdAt: z.number().int(),
}).strict();

/** Bounded so an inventory always fits a frame (newest first; `truncated` when some were left out). */
export const MAX_INVENTORY_CONTAINERS = 2000;

/** agent → controller on every (re)connect: what this host is and runs. */
export const Inventory = z.object({
  t: z.literal('inventory'),
  hostname: z.string().max(255),
  agentVersion: z.string().max(64),
  os: z.string().max(64),
  arch: z.string().max(32),
  docker: z.object({
    version: z.string().max(64),
    apiVersion: z.string().max(32),
    /** The daemon's first registry mirror (`docker info` RegistryConfig.Mirrors[0]); null when it has none. */
    registryMirror: z.string().max(512).nullable().optional(),
  }).strict().nullable(),
  containers: z.array(z.object({
    id: z.string().max(128),
    name: z.string().max(255),
    image: z.string().max(512),
    state: z.string().max(32),
    labels: z.record(z.string().max(4096)),
  }).strict()).max(10000).default([]),
  /** Managed containers (apps, accessories) and kamal-proxy; sent on connect and after every change. */
  managed: z.object({
    collectedAt: z.string().max(64),
    containers: z.array(ManagedContainer).max(MAX_INVENTORY_CONTAINERS),
    proxy: ManagedContainer.nullable(),
    truncated: z.boolean().default(false),
  }).strict().nullable().optional(),
}).strict();

/** agent → controller: something happened on the host (container died, health changed…). */
export const Event = z.object({
  t: z.literal('event'),
  kind: z.string().min(1).max(128),
  at: z.number().int().nonnegative(),
  data: z.unknown().optional(),
}).strict();

/** Either end: the frame you sent could not be handled; the connection stays open. */
export const ProtocolErrorMsg = z.object({
  t: z.literal('error'),
  code: z.string().max(64),
  message: shortText,
}).strict();

/** Messages exchanged after authentication, in either direction. */
export const SessionMessage = z.discriminatedUnion('t', [
  Request, Response, Cancel, Data, Credit, Eof, Control, Inventory, Event, ProtocolErrorMsg,
]);

export type Hello = z.infer<typeof Hello>;
export type Challenge = z.infer<typeof Challenge>;
export type Auth = z.infer<typeof Auth>;
export type Welcome = z.infer<typeof Welcome>;
export type Request = z.infer<typeof Request>;
export type Response = z.infer<typeof Response>;
export type RpcErrorBody = z.infer<typeof RpcErrorBody>;
export type Cancel = z.infer<typeof Cancel>;
export type Data = z.infer<typeof Data>;
export type Credit = z.infer<typeof Credit>;
export type Eof = z.infer<typeof Eof>;
export type Control = z.infer<typeof Control>;
export type Inventory = z.infer<typeof Inventory>;
export type ManagedContainerInfo = z.infer<typeof ManagedContainer>;
export type InventoryInput = z.input<typeof Inventory>;
export type Event = z.infer<typeof Event>;
export type ProtocolErrorMsg = z.infer<typeof ProtocolErrorMsg>;
export type SessionMessage = z.infer<typeof SessionMessage>;
