import { z } from 'zod';
import { AgentName, Inventory, Labels } from '@drover/shared/protocol';

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

export const RpcBody = z.object({
  method: z.string().min(1).max(128),
  params: z.unknown().optional(),
  timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
  /** Call with a stream: send `input` (base64), optionally a TTY resize, then eof; collect the output. */
  stream: z.object({
    input: z.string().max(8 * 1024 * 1024).default(''),
    resize: z.object({ cols: z.number().int().min(1), rows: z.number().int().min(1) }).optional(),
  }).strict().optional(),
}).strict();

/** `GET /v1/agents/:name/inventory`: the agent's last inventory (on connect and after every change). */
export const AgentInventory = z.object({ name: z.string(), online: z.boolean(), inventory: Inventory });
export type AgentInventory = z.infer<typeof AgentInventory>;

export const RpcResult = z.object({ result: z.unknown(), output: z.string().optional() });

export const WhoAmI = z.object({
  tokenName: z.string(),
  scope: z.enum(['admin', 'deploy', 'read']),
  controllerId: z.string(),
  fingerprint: z.string(),
});
export type WhoAmI = z.infer<typeof WhoAmI>;

/**
 * Every error answer. A failed agent operation (`operation_failed`) also carries `details`, the lines
 * to show under the message (the failed container's last log lines, its health), and the agent's exit code.
 * Secret values from the call's params never appear in either (redacted on the agent, again here).
 */
export const ApiError = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.string()).optional(),
    exitCode: z.number().int().min(0).max(255).optional(),
  }),
});
export type ApiError = z.infer<typeof ApiError>;
