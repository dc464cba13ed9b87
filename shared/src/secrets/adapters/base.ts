import { UserError } from '../../errors.js';
import type { RunResult, Runner } from '../run.js';

export interface AdapterContext {
  run: Runner;
  env: Record<string, string | undefined>;
}

export interface FetchOptions {
  account?: string;
  from?: string;
}

/**
 * One vault. `fetch` follows Kamal's base adapter: the account check, then `<cli> --version`,
 * then the adapter's login, then the lookups. Arguments are passed as argv (no shell).
 */
export interface SecretsAdapter {
  requiresAccount: boolean;
  /** The program checked with `--version`, and the name used in "… CLI is not installed". */
  cli: { program: string; label: string };
  fetchSecrets(secrets: string[], options: FetchOptions, ctx: AdapterContext): Promise<Record<string, string>>;
}

export async function fetchWith(adapter: SecretsAdapter, secrets: string[], options: FetchOptions, ctx: AdapterContext): Promise<Record<string, string>> {
  if (adapter.requiresAccount && !options.account) throw new UserError("Missing required option '--account'");
  const version = await ctx.run(adapter.cli.program, ['--version']);
  if (version.status !== 0) throw new UserError(`${adapter.cli.label} CLI is not installed`);
  return adapter.fetchSecrets(secrets, options, ctx);
}

export function prefixed(secrets: string[], from: string | undefined): string[] {
  return secrets.map((s) => (from ? `${from}/${s}` : s));
}

/** Fails with `message` unless the command succeeded. */
export function ok(result: RunResult, message: string): string {
  if (result.status !== 0) throw new UserError(message);
  return result.stdout;
}

export function parseJson<T = unknown>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UserError(`${what}: unexpected output (not JSON)`);
  }
}
