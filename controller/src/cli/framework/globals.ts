import { ROLLOUT_DEFAULTS } from '../../rollout/defaults.js';
import { usageError } from './errors.js';
import type { GlobalSettings, OptionSpecs, OptionValue } from './spec.js';

/** Options every command takes. */
export const BASE_OPTIONS: OptionSpecs = {
  help: { type: 'boolean', description: 'Show this help' },
  context: { type: 'string', value: 'NAME', description: 'Use this saved controller login (default: $DROVER_CONTEXT, else the current one)' },
  json: { type: 'boolean', description: 'Machine-readable output' },
};

/** Kamal's class options (reference §1.1): `-h` is `--hosts`, as in Kamal; help is `--help`. */
export const KAMAL_GLOBAL_OPTIONS: OptionSpecs = {
  verbose: { type: 'boolean', short: 'v', description: 'Show more (hook output, each step as it happens)' },
  quiet: { type: 'boolean', short: 'q', description: 'Errors only; no host headers' },
  version: { type: 'string', value: 'VERSION', description: 'Act on this app version instead of the git SHA' },
  primary: { type: 'boolean', short: 'p', description: 'Only the primary host' },
  hosts: { type: 'string', short: 'h', multiple: true, value: 'HOSTS', description: 'Hosts (agent names), comma separated; * wildcards' },
  roles: { type: 'string', short: 'r', multiple: true, value: 'ROLES', description: 'Roles, comma separated; * wildcards' },
  'config-file': { type: 'string', short: 'c', value: 'FILE', description: 'Config file (default: config/deploy.yml)' },
  destination: { type: 'string', short: 'd', value: 'DEST', description: 'Also load config/deploy.DEST.yml' },
  'skip-hooks': { type: 'boolean', short: 'H', description: 'Do not run hooks' },
  'lock-wait': { type: 'boolean', description: 'Wait for an automatic deploy lock instead of failing' },
  'lock-wait-timeout': { type: 'string', value: 'S', description: `Give up waiting after S seconds (default ${ROLLOUT_DEFAULTS.lockWaitTimeoutSeconds})` },
  'lock-wait-interval': { type: 'string', value: 'S', description: `Seconds between tries (default ${ROLLOUT_DEFAULTS.lockWaitIntervalSeconds})` },
};

/** `-h a,b -h c` → `[a, b, c]`. */
export function csv(values: OptionValue): string[] {
  const list = Array.isArray(values) ? values : typeof values === 'string' ? [values] : [];
  return list.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

function seconds(value: OptionValue, flag: string, fallback: number, help: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw usageError(`${flag}: expected a number of seconds, got "${String(value)}"`, help);
  return Number(value);
}

const text = (v: OptionValue): string | undefined => (typeof v === 'string' ? v : undefined);

export function globalSettings(o: Record<string, OptionValue>, help: string): GlobalSettings {
  if (o.verbose && o.quiet) throw usageError('-v and -q cannot be used together', help);
  return {
    verbosity: o.quiet ? 'quiet' : o.verbose ? 'verbose' : 'normal',
    selection: { roles: csv(o.roles), hosts: csv(o.hosts), primary: o.primary === true },
    version: text(o.version),
    configFile: text(o['config-file']),
    destination: text(o.destination),
    skipHooks: o['skip-hooks'] === true,
    lockWait: o['lock-wait']
      ? {
          timeoutSeconds: seconds(o['lock-wait-timeout'], '--lock-wait-timeout', ROLLOUT_DEFAULTS.lockWaitTimeoutSeconds, help),
          intervalSeconds: Math.max(1, seconds(o['lock-wait-interval'], '--lock-wait-interval', ROLLOUT_DEFAULTS.lockWaitIntervalSeconds, help)),
        }
      : null,
    json: o.json === true,
    context: text(o.context),
  };
}
