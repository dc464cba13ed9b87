import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '@drover/shared';
import { FINGERPRINT_PATTERN } from '@drover/shared/protocol/pin';
import { writeSecretFile } from '../store/secure-file.js';

/** What `drover login` stores: where the controller is, how to prove who we are, which key to trust. */
export const OperatorCredentials = z.object({
  controller: z.string().url(),
  token: z.string().min(1),
  /** Pinned TLS key; null means ordinary CA verification. */
  fingerprint: z.string().regex(FINGERPRINT_PATTERN).nullable(),
}).strict();
export type OperatorCredentials = z.infer<typeof OperatorCredentials>;

/** The context `drover login` writes to without --context, and the name an old single-login file gets. */
export const DEFAULT_CONTEXT = 'default';

/** Context names: a letter or digit, then letters, digits, `.`, `_`, `-` (at most 63 characters). */
export const CONTEXT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const ContextName = z.string().regex(CONTEXT_NAME_PATTERN, 'context names are letters, digits, ".", "_" and "-" (starting with a letter or digit)');

/** ~/.config/drover/credentials.json: named logins ("contexts") and which one commands use. */
export const CredentialsFile = z.object({
  /** The context commands use when neither --context nor DROVER_CONTEXT names one; null: none chosen. */
  current: ContextName.nullable().default(null),
  contexts: z.record(ContextName, OperatorCredentials),
}).strict();
export type CredentialsFile = z.infer<typeof CredentialsFile>;

/** Where the context a command uses was chosen. */
export type ContextSource = '--context' | 'DROVER_CONTEXT' | 'x-drover/controller' | 'current';

export interface LoadCredentialsOptions {
  /** A `--context NAME` flag: wins over DROVER_CONTEXT and the file's current context. */
  context?: string;
  /** The project's `x-drover: controller:` (a context name, or a controller URL a context was saved for); after DROVER_CONTEXT. */
  projectController?: string;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DROVER_CONFIG_DIR) return env.DROVER_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'drover');
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'credentials.json');
}

const emptyFile = (): CredentialsFile => ({ current: null, contexts: {} });

function firstIssue(path: string, error: z.ZodError): UserError {
  const issue = error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return new UserError(`${path}: ${where}${issue?.message}; fix it, or remove it and run \`drover login\` again`);
}

/**
 * The credentials file as contexts; none when it does not exist. A file in the
 * old single-login shape `{controller, token, fingerprint}` reads as the
 * context "default" (and is rewritten in the new shape on the next save).
 */
export function readCredentialsFile(env: NodeJS.ProcessEnv = process.env): CredentialsFile {
  const path = credentialsPath(env);
  if (!existsSync(path)) return emptyFile();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UserError(`${path}: not valid JSON; fix it, or remove it and run \`drover login\` again`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`${path}: expected a JSON object; fix it, or remove it and run \`drover login\` again`);
  if (!('contexts' in raw) && !('current' in raw)) {
    const legacy = OperatorCredentials.safeParse(raw);
    if (!legacy.success) throw firstIssue(path, legacy.error);
    return { current: DEFAULT_CONTEXT, contexts: { [DEFAULT_CONTEXT]: legacy.data } };
  }
  const parsed = CredentialsFile.safeParse(raw);
  if (!parsed.success) throw firstIssue(path, parsed.error);
  return parsed.data;
}

/** Writes the whole file (mode 0600, atomically); returns its path. */
export function writeCredentialsFile(file: CredentialsFile, env: NodeJS.ProcessEnv = process.env): string {
  const checked = CredentialsFile.parse(file);
  const contexts: Record<string, OperatorCredentials> = {};
  for (const name of contextNames(checked)) contexts[name] = checked.contexts[name]!;
  const path = credentialsPath(env);
  writeSecretFile(path, JSON.stringify({ current: checked.current, contexts }, null, 2) + '\n');
  return path;
}

/** The file's context names, sorted. */
export function contextNames(file: CredentialsFile): string[] {
  return Object.keys(file.contexts).sort();
}

/** The named context, if the file has it (own keys only: "constructor" is not a context). */
export function getContext(file: CredentialsFile, name: string): OperatorCredentials | undefined {
  return Object.hasOwn(file.contexts, name) ? file.contexts[name] : undefined;
}

/** `context "x" not found (contexts: a, b); see `drover context list``, plus how x was chosen. */
export function contextNotFound(file: CredentialsFile, name: string, source?: ContextSource): UserError {
  const names = contextNames(file);
  const how = source === 'DROVER_CONTEXT' ? ' (named by DROVER_CONTEXT)'
    : source === 'current' ? ' (the current context in the credentials file)'
      : source === 'x-drover/controller' ? ' (named by x-drover/controller in deploy.yml)' : '';
  if (names.length === 0) return new UserError(`context "${name}" not found${how}: no contexts saved; run \`drover login URL --token T --context ${name}\``);
  return new UserError(`context "${name}" not found (contexts: ${names.join(', ')}); see \`drover context list\`${how}`);
}

/** The named context, or a UserError naming it and the contexts there are. */
export function requireContext(file: CredentialsFile, name: string, source?: ContextSource): OperatorCredentials {
  const creds = getContext(file, name);
  if (!creds) throw contextNotFound(file, name, source);
  return creds;
}

/** Which context a command uses: `--context`, then DROVER_CONTEXT, then the project's `x-drover: controller:`, then the file's current one; null if none. */
export function selectContext(file: CredentialsFile, env: NodeJS.ProcessEnv = process.env, opts: LoadCredentialsOptions = {}): { name: string; source: ContextSource } | null {
  if (opts.context) return { name: opts.context, source: '--context' };
  if (env.DROVER_CONTEXT) return { name: env.DROVER_CONTEXT, source: 'DROVER_CONTEXT' };
  if (opts.projectController) return { name: contextForController(file, opts.projectController), source: 'x-drover/controller' };
  if (file.current) return { name: file.current, source: 'current' };
  return null;
}

/** A context by name, or the one saved for a controller URL; a URL with no context is an error saying how to add one. */
function contextForController(file: CredentialsFile, value: string): string {
  if (getContext(file, value)) return value;
  let origin: string | null = null;
  try {
    origin = new URL(value).origin;
  } catch {
    return value;
  }
  const match = contextNames(file).find((n) => file.contexts[n]!.controller === origin);
  if (match) return match;
  throw new UserError(`x-drover/controller: no saved context for ${origin}; log in with \`drover login ${origin} --token T --context NAME\``);
}

/**
 * Stores `creds` as context `opts.context` (default "default"), replacing only
 * that context, and makes it current unless `opts.use` is false (then the
 * current context stays as it was, except that a file's only context is
 * current). Returns the path.
 */
export function saveCredentials(creds: OperatorCredentials, env: NodeJS.ProcessEnv = process.env, opts: { context?: string; use?: boolean } = {}): string {
  const name = opts.context ?? DEFAULT_CONTEXT;
  if (!CONTEXT_NAME_PATTERN.test(name)) throw new UserError(`invalid context name "${name}": use letters, digits, ".", "_" and "-" (starting with a letter or digit)`);
  const file = readCredentialsFile(env);
  const contexts = { ...file.contexts, [name]: OperatorCredentials.parse(creds) };
  let current = opts.use === false ? file.current : name;
  if (current === null && Object.keys(contexts).length === 1) current = name;
  return writeCredentialsFile({ current, contexts }, env);
}

/** Makes `name` the current context; returns its credentials. */
export function useContext(name: string, env: NodeJS.ProcessEnv = process.env): OperatorCredentials {
  const file = readCredentialsFile(env);
  const creds = requireContext(file, name);
  writeCredentialsFile({ ...file, current: name }, env);
  return creds;
}

export interface RemovedContext {
  removed: string;
  /** Whether it was the current context. */
  wasCurrent: boolean;
  /** The current context afterwards: unchanged, or the only one left, or null. */
  current: string | null;
  remaining: string[];
}

/**
 * Deletes one context. Removing the current one leaves no current context,
 * unless exactly one context is left: that one becomes current.
 */
export function removeContext(name: string, env: NodeJS.ProcessEnv = process.env): RemovedContext {
  const file = readCredentialsFile(env);
  requireContext(file, name);
  const contexts = { ...file.contexts };
  delete contexts[name];
  const remaining = Object.keys(contexts).sort();
  const wasCurrent = file.current === name;
  let current = wasCurrent ? null : file.current;
  if (current === null && remaining.length === 1) current = remaining[0]!;
  writeCredentialsFile({ current, contexts }, env);
  return { removed: name, wasCurrent, current, remaining };
}

/**
 * Credentials for this invocation: the context named by `opts.context`
 * (a --context flag), else DROVER_CONTEXT, else the file's current context;
 * DROVER_CONTROLLER / DROVER_TOKEN / DROVER_FINGERPRINT override its fields (for CI).
 */
export function loadCredentials(env: NodeJS.ProcessEnv = process.env, opts: LoadCredentialsOptions = {}): OperatorCredentials {
  const file = readCredentialsFile(env);
  const selected = selectContext(file, env, opts);
  const stored = selected ? requireContext(file, selected.name, selected.source) : null;
  const controller = env.DROVER_CONTROLLER || stored?.controller;
  const token = env.DROVER_TOKEN || stored?.token;
  if (!controller || !token) {
    const names = contextNames(file);
    if (names.length) throw new UserError(`no current context (contexts: ${names.join(', ')}): choose one with \`drover context use NAME\`, or set DROVER_CONTEXT`);
    throw new UserError('not logged in: run `drover login URL --token T` or set DROVER_CONTROLLER and DROVER_TOKEN');
  }
  // A stored pin only applies to the controller it was stored for.
  const fingerprint = env.DROVER_FINGERPRINT || (stored && stored.controller === controller ? stored.fingerprint : null);
  if (fingerprint && !FINGERPRINT_PATTERN.test(fingerprint)) throw new UserError('DROVER_FINGERPRINT: expected sha256:<64 hex digits>');
  return { controller, token, fingerprint: fingerprint ?? null };
}
