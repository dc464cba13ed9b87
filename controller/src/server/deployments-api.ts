import { z } from 'zod';
import { PLAN_COMMANDS, ROLLOUT_HOOKS } from '../plan/types.js';

// Operator API bodies for deployments and the deploy lock, shared by the routes and the CLI's client.

const name = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a plain name (letters, digits, ".", "-", "_")');
const filter = z.string().min(1).max(253);
const hookName = z.enum(ROLLOUT_HOOKS);
const MAX_FILE = 1024 * 1024;
const oneLine = (max: number) => z.string().min(1).max(max).regex(/^[^\r\n]*$/, 'must be one line');

/** Kamal's flags of the subcommands (`plan/commands.ts` says which command takes which). */
export const CommandOptions = z.object({
  /** `app maintenance --drain-timeout` seconds (default: the config's drain_timeout). */
  drainTimeout: z.number().int().min(0).max(86_400).optional(),
  /** `app maintenance --message`. */
  message: oneLine(1000).optional(),
  /** `proxy reboot --rolling`. */
  rolling: z.boolean().optional(),
  /** `proxy remove --force`. */
  force: z.boolean().optional(),
  /** `prune containers --retain` (below 1 is refused with Kamal's message when planned). */
  retain: z.number().int().max(100_000).optional(),
  /** `accessory …`: names, or `['all']`. An unknown name is refused with Kamal's message when planned. */
  accessories: z.array(oneLine(128)).min(1).max(100).optional(),
  /** `app stale_containers --stop`. */
  stop: z.boolean().optional(),
}).strict();

export const DeploymentRequest = z.object({
  /** `deploy`, …, or a subcommand as Kamal spells it: `app boot`, `proxy reboot`, `prune all`, `app stale_containers`, … */
  command: z.enum(PLAN_COMMANDS),
  /** deploy.yml then deploy.<destination>.yml, ERB rendered on the operator's machine. */
  files: z.array(z.object({ name: z.string().min(1).max(1024), content: z.string().max(MAX_FILE) }).strict()).min(1).max(2),
  destination: name.nullable().default(null),
  version: name,
  selection: z.object({
    roles: z.array(filter).max(100).default([]),
    hosts: z.array(filter).max(1000).default([]),
    primary: z.boolean().default(false),
  }).strict().default({}),
  /** Values of the secrets the config reads: kept encrypted at rest, never returned. */
  secrets: z.record(z.string().max(64 * 1024)).refine((s) => Object.keys(s).length <= 500, 'at most 500 secrets').default({}),
  /** Hook files present in the project (for Kamal's config checks). */
  hookFiles: z.array(z.string().max(255)).max(100).default([]),
  /** Hooks the controller must ask the operator to run (none with -H). */
  hooks: z.array(hookName).max(10).default([]),
  assets: z.object({
    errorPages: z.record(z.string().regex(/^[45]\d\d\.html$/), z.string().max(MAX_FILE)).nullable().default(null),
    accessoryFiles: z.record(z.string().max(1024), z.string().max(MAX_FILE)).default({}),
  }).strict().default({}),
  performer: oneLine(200),
  lockHolder: oneLine(200),
  skipPush: z.boolean().default(false),
  options: CommandOptions.default({}),
  lockWait: z.object({ timeoutSeconds: z.number().int().min(0).max(86_400), intervalSeconds: z.number().int().min(1).max(3600) }).strict().nullable().default(null),
}).strict();
export type DeploymentRequest = z.input<typeof DeploymentRequest>;

export const DeploymentView = z.object({
  id: z.string(),
  service: z.string(),
  destination: z.string().nullable(),
  command: z.string(),
  version: z.string(),
  performer: z.string(),
  status: z.enum(['running', 'succeeded', 'failed', 'rolled_back']),
  createdAt: z.number(),
  finishedAt: z.number().nullable(),
  error: z.string().nullable(),
  exitCode: z.number().nullable(),
  eventCount: z.number(),
  hosts: z.array(z.string()),
  /** Selected hosts left out because their agents were not connected (`x-drover/offline: skip`). */
  skippedHosts: z.array(z.string()),
  roles: z.array(z.string()),
});
export type DeploymentView = z.infer<typeof DeploymentView>;

export const DeploymentCreated = z.object({ deployment: DeploymentView });
export const DeploymentList = z.object({ deployments: z.array(DeploymentView) });

export const DeploymentStep = z.object({
  stepId: z.string(), host: z.string().nullable(), kind: z.string(), status: z.string(),
  startedAt: z.number(), finishedAt: z.number().nullable(), error: z.string().nullable(),
});
export const DeploymentDetail = z.object({ deployment: DeploymentView, steps: z.array(DeploymentStep) });

export const HookReport = z.object({ ok: z.boolean(), message: z.string().max(64 * 1024).nullable().default(null) }).strict();
export type HookReport = z.input<typeof HookReport>;

export const LockKey = z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be <service>[-<destination>]');
export const LockAcquireBody = z.object({
  message: z.string().min(1).max(1000),
  holder: z.string().min(1).max(200).regex(/^[^\r\n]*$/, 'must be one line'),
  version: z.string().max(128).nullable().default(null),
}).strict();
export type LockAcquireBody = z.input<typeof LockAcquireBody>;
export const LockView = z.object({
  key: z.string(), holder: z.string(), message: z.string(), version: z.string().nullable(),
  acquiredAt: z.number(), automatic: z.boolean(), deploymentId: z.string().nullable(),
  /** Kamal's `lock status` text. */
  status: z.string(),
});
export type LockView = z.infer<typeof LockView>;
/** `lock`: the service's lock, else a convergence's host lock; `locks`: the service's and every host lock. */
export const LockStatus = z.object({ lock: LockView.nullable(), locks: z.array(LockView).optional() });

/** `drover converge pause|resume`. */
export const ConvergenceBody = z.object({ paused: z.boolean() }).strict();

export const ConvergenceView = z.object({
  paused: z.boolean(),
  pending: z.array(z.object({
    key: z.string(), host: z.string(), version: z.string(), deploymentId: z.string(), reason: z.enum(['skipped', 'joined']),
    since: z.number(), attempts: z.number(), lastError: z.string().nullable(),
    /** The convergence deployment under way for the host. */
    converging: z.string().nullable(),
  })),
});
export type ConvergenceView = z.infer<typeof ConvergenceView>;
