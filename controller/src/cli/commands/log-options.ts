import type { LogOptions } from '../../plan/read-params.js';
import { usageError } from '../framework/errors.js';
import type { Invocation } from '../framework/spec.js';

/** Kamal's `-s -n -g --grep-options -f -T` as the planner's log options. */
export function logOptions(inv: Invocation): LogOptions {
  const o = inv.options;
  const text = (name: string) => (typeof o[name] === 'string' ? o[name] as string : null);
  const lines = text('lines');
  if (lines !== null && !/^\d+$/.test(lines)) throw usageError(`--lines: expected a number, got "${lines}"`, inv.help);
  return {
    follow: o.follow === true, since: text('since'), lines: lines === null ? null : Number(lines),
    grep: text('grep'), grepOptions: text('grep-options'), timestamps: o['skip-timestamps'] !== true,
  };
}
