import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { abbreviateVersion, type ResolvedConfig } from '@drover/shared/config';
import { UserError } from '@drover/shared/errors';
import { secretRedactor } from '@drover/shared/operations/redact';

/**
 * Kamal's hooks (reference §7): executables at `<hooks_path>/<name>`, run on the operator's machine
 * in the project directory with the `KAMAL_*` variables (and, for three of them, every secret) in
 * their environment. A non-zero exit stops the command with ``Hook `<name>` failed:``.
 */

export type HookName =
  | 'pre-connect'
  | 'pre-build'
  | 'pre-deploy'
  | 'post-deploy'
  | 'pre-app-boot'
  | 'post-app-boot'
  | 'docker-setup'
  | 'pre-proxy-reboot'
  | 'post-proxy-reboot';

export const HOOK_NAMES: readonly HookName[] = [
  'pre-connect',
  'pre-build',
  'pre-deploy',
  'post-deploy',
  'pre-app-boot',
  'post-app-boot',
  'docker-setup',
  'pre-proxy-reboot',
  'post-proxy-reboot',
];

/** Hooks that get every secret in their environment. */
export const HOOKS_WITH_SECRETS: readonly HookName[] = ['pre-connect', 'pre-deploy', 'post-deploy'];

export interface HookEnvDetails {
  recordedAt: Date;
  /** `git config user.email`, else `whoami`. */
  performer: string;
  version: string;
  service: string;
  destination: string | null;
  hosts: string[];
  /** Only with `-r`. */
  roles: string[] | null;
  lock: boolean;
  command: string;
  subcommand: string | null;
  /** post-deploy only: seconds, rounded. */
  runtimeSeconds?: number;
}

/** Ruby's `Time#iso8601` in UTC: seconds precision, `Z`. */
function iso8601(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Kamal's `KAMAL_*` hook variables (Kamal::Tags plus the run details); unset details are left out, as Kamal's `compact` does. */
export function kamalHookEnv(d: HookEnvDetails): Record<string, string> {
  const env: Record<string, string> = {
    KAMAL_RECORDED_AT: iso8601(d.recordedAt),
    KAMAL_PERFORMER: d.performer,
  };
  if (d.destination !== null) env.KAMAL_DESTINATION = d.destination;
  env.KAMAL_VERSION = d.version;
  env.KAMAL_SERVICE_VERSION = `${d.service}@${abbreviateVersion(d.version)}`;
  env.KAMAL_SERVICE = d.service;
  env.KAMAL_HOSTS = d.hosts.join(',');
  if (d.roles !== null) env.KAMAL_ROLES = d.roles.join(',');
  env.KAMAL_LOCK = d.lock ? 'true' : 'false';
  env.KAMAL_COMMAND = d.command;
  if (d.subcommand !== null) env.KAMAL_SUBCOMMAND = d.subcommand;
  if (d.runtimeSeconds !== undefined) env.KAMAL_RUNTIME = String(Math.round(d.runtimeSeconds));
  return env;
}

/** `hooks_output` for one hook: the global level, the hook's own entry, or null. */
export function hookOutputFor(output: ResolvedConfig['hooks']['output'], name: HookName): 'quiet' | 'verbose' | null {
  if (output === null) return null;
  if (typeof output === 'string') return output;
  return output[name] ?? null;
}

export interface HookRunOptions {
  projectDir: string;
  /** As in the config: relative to projectDir, or absolute. */
  hooksPath: string;
  /** From `hooks_output` for this hook (global or per hook); null = follow the verbosity. */
  output: 'quiet' | 'verbose' | null;
  verbosity: 'quiet' | 'normal' | 'verbose';
  env: Record<string, string>;
  /** Added to the environment only for HOOKS_WITH_SECRETS; redacted from anything printed. */
  secrets?: Record<string, string>;
  say(line: string): void;
  signal?: AbortSignal;
  /** The environment the hook inherits (default process.env); `env` and secrets go over it. */
  baseEnv?: NodeJS.ProcessEnv;
}

/** Kamal's rule: `-v`/`-q` win; at the default verbosity `hooks_output` decides; otherwise the verbosity. */
export function hookLevel(output: HookRunOptions['output'], verbosity: HookRunOptions['verbosity']): 'quiet' | 'normal' | 'verbose' {
  return verbosity === 'normal' && output !== null ? output : verbosity;
}

function hookFile(projectDir: string, hooksPath: string, name: string): string {
  return isAbsolute(hooksPath) ? join(hooksPath, name) : join(projectDir, hooksPath, name);
}

/** Which hooks exist (exact names; `.sample` files don't count). */
export function existingHooks(projectDir: string, hooksPath: string): HookName[] {
  return HOOK_NAMES.filter((name) => existsSync(hookFile(projectDir, hooksPath, name)));
}

const KEEP_OUTPUT = 64 * 1024;

function keepTail(buf: string, add: string): string {
  const s = buf + add;
  return s.length > KEEP_OUTPUT ? s.slice(s.length - KEEP_OUTPUT) : s;
}

/**
 * Runs `<hooksPath>/<name>` when it exists. Prints `Running the <name> hook...` unless the level is
 * quiet, and the hook's output only at the verbose level. Resolves 'absent' when there is no such
 * file. A failure (non-zero exit, not executable) throws a UserError (exit code 1) with Kamal's
 * ``Hook `<name>` failed:`` and the exit status, stdout and stderr — those two left out at the
 * quiet level, so a quiet hook's output is never printed.
 */
export async function runHook(name: HookName, opts: HookRunOptions): Promise<'ran' | 'absent'> {
  const file = hookFile(opts.projectDir, opts.hooksPath, name);
  if (!existsSync(file)) return 'absent';
  const shown = join(opts.hooksPath, name);
  const level = hookLevel(opts.output, opts.verbosity);
  const secrets = opts.secrets ?? {};
  const redact = secretRedactor(Object.values(secrets));
  const say = (line: string) => opts.say(redact(line));
  const fail = (status: string, stdout: string, stderr: string): never => {
    const lines = [`${shown} exit status: ${status}`];
    if (level === 'quiet') {
      lines.push(`${shown} stdout and stderr: not shown (hooks output is quiet)`);
    } else {
      lines.push(`${shown} stdout: ${stdout.trim() || 'Nothing written'}`);
      lines.push(`${shown} stderr: ${stderr.trim() || 'Nothing written'}`);
    }
    throw new UserError(redact(`Hook \`${name}\` failed:\n${lines.join('\n')}`), { exitCode: 1 });
  };

  if (level !== 'quiet') say(`Running the ${name} hook...`);

  if (statSync(file).isDirectory()) fail('126', '', `${shown}: is a directory`);
  try {
    accessSync(file, constants.X_OK);
  } catch {
    fail('126', '', `${shown}: Permission denied (not executable; chmod +x ${shown})`);
  }

  const env: NodeJS.ProcessEnv = { ...(opts.baseEnv ?? process.env), ...opts.env };
  if (HOOKS_WITH_SECRETS.includes(name)) Object.assign(env, secrets);

  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    const partial = { out: '', err: '' };
    const print = (key: 'out' | 'err', chunk: string) => {
      if (level !== 'verbose') return;
      const parts = (partial[key] + chunk).split(/\r?\n/);
      partial[key] = parts.pop() ?? '';
      for (const line of parts) say(line);
    };
    let child;
    try {
      child = spawn(file, [], { cwd: opts.projectDir, env, stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    } catch (err) {
      reject(err);
      return;
    }
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout = keepTail(stdout, chunk);
      print('out', chunk);
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = keepTail(stderr, chunk);
      print('err', chunk);
    });
    let spawnError: Error | null = null;
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (code, signal) => {
      if (level === 'verbose') {
        if (partial.out) say(partial.out);
        if (partial.err) say(partial.err);
      }
      if (opts.signal?.aborted) return reject(opts.signal.reason ?? spawnError);
      try {
        if (spawnError) fail('127', stdout, `${stderr}${(spawnError as Error).message}`);
        if (signal !== null) fail(`killed by ${signal}`, stdout, stderr);
        if (code !== 0) fail(String(code), stdout, stderr);
        resolvePromise('ran');
      } catch (err) {
        reject(err);
      }
    });
  });
}
