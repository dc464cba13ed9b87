import { deepMerge } from '../deep-merge.js';
import type { LoggingConfig } from '../schema/logging.js';
import type { ResolvedLogging } from '../types.js';

/** Role logging deep-merged over the root; with nothing configured, `max-size=10m`. */
export function resolveLogging(root: LoggingConfig | undefined, role?: LoggingConfig): ResolvedLogging {
  const merged = deepMerge(root ?? {}, role ?? {}) as LoggingConfig;
  if (merged.driver === undefined && merged.options === undefined) return { driver: null, options: { 'max-size': '10m' } };
  return { driver: merged.driver ?? null, options: merged.options ?? {} };
}

/** The docker CLI flags, as Kamal prints them (`--log-opt max-size="10m"`). */
export function loggingArgs(logging: ResolvedLogging): string[] {
  const args: string[] = [];
  if (logging.driver) args.push('--log-driver', `"${logging.driver}"`);
  for (const [k, v] of Object.entries(logging.options)) args.push('--log-opt', `${k}="${v}"`);
  return args;
}
