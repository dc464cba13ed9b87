import type { ZodIssue } from 'zod';
import { UserError } from '../errors.js';
import { crossChecks, missingRequiredKeys } from './checks.js';
import { droverSchema, type DroverSettings } from './schema/drover.js';
import { rootSchema, type DeployConfig } from './schema/root.js';

export interface Validated {
  config: DeployConfig;
  drover: DroverSettings | undefined;
}

/** A zod issue as Kamal prints it: `<path>: <message>`, or the bare message at the root. */
export function formatIssue(issue: ZodIssue, prefix: (string | number)[] = []): string {
  const path = [...prefix, ...issue.path].join('/');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * Checks a loaded document completely and reports every problem at once:
 * missing required keys, then schema errors, then cross-section checks.
 */
export function validateConfig(raw: Record<string, unknown>, drover: unknown, options: { label: string; hookFiles?: string[] }): Validated {
  const errors = missingRequiredKeys(raw);
  const parsed = rootSchema.safeParse(raw);
  if (!parsed.success) errors.push(...parsed.error.issues.map((i) => formatIssue(i)));
  let droverSettings: DroverSettings | undefined;
  if (drover !== undefined && drover !== null) {
    const d = droverSchema.safeParse(drover);
    if (d.success) droverSettings = d.data;
    else errors.push(...d.error.issues.map((i) => formatIssue(i, ['x-drover'])));
  }
  if (parsed.success) errors.push(...crossChecks(parsed.data, options.hookFiles ?? [], Object.keys(droverSettings?.roles ?? {})));
  if (errors.length > 0 || !parsed.success) {
    const count = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
    throw new UserError(`${options.label}: invalid configuration (${count})`, { details: errors, exitCode: 1 });
  }
  return { config: parsed.data, drover: droverSettings };
}
