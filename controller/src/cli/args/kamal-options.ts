import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '@drover/shared';
import { ROLLOUT_DEFAULTS } from '../../rollout/defaults.js';

/** Kamal's global options (reference §1.1): `-h` is `--hosts` here, as in Kamal; help is `--help`. */
export const KAMAL_GLOBAL_OPTIONS = {
  verbose: { type: 'boolean', short: 'v' },
  quiet: { type: 'boolean', short: 'q' },
  version: { type: 'string' },
  primary: { type: 'boolean', short: 'p' },
  hosts: { type: 'string', short: 'h', multiple: true },
  roles: { type: 'string', short: 'r', multiple: true },
  'config-file': { type: 'string', short: 'c' },
  destination: { type: 'string', short: 'd' },
  'skip-hooks': { type: 'boolean', short: 'H' },
  'lock-wait': { type: 'boolean' },
  'lock-wait-timeout': { type: 'string' },
  'lock-wait-interval': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const GLOBAL_OPTIONS_HELP = `Global options (as Kamal's):
  -v, --verbose                Show more (hook output, failed steps as they happen)
  -q, --quiet                  Errors only
      --version VERSION        Act on this app version instead of the git SHA
  -p, --primary                Only the primary host
  -h, --hosts HOSTS            Hosts (agent names), comma separated; * wildcards
  -r, --roles ROLES            Roles, comma separated; * wildcards
  -c, --config-file FILE       Config file (default: config/deploy.yml)
  -d, --destination DEST       Also load config/deploy.DEST.yml
  -H, --skip-hooks             Do not run hooks
      --lock-wait              Wait for an automatic deploy lock instead of failing
      --lock-wait-timeout S    Give up waiting after S seconds (default ${ROLLOUT_DEFAULTS.lockWaitTimeoutSeconds})
      --lock-wait-interval S   Seconds between tries (default ${ROLLOUT_DEFAULTS.lockWaitIntervalSeconds})
      --json                   One JSON event per line, then a {"result": …} object
      --help                   Show this help`;

type Extra = NonNullable<ParseArgsConfig['options']>;

/** Parses Kamal-style arguments (thor also accepts `--foo_bar` for `--foo-bar`); mistakes exit 64 with the usage. */
export function parseKamalArgs<E extends Extra>(argv: string[], extra: E, usage: string): { values: GlobalValues & { help?: boolean } & Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] } {
  const normalised = argv.map((a) => (a.startsWith('--') && a.includes('_') ? a.replace(/^--([^=]+)/, (_m, name: string) => `--${name.replace(/_/g, '-')}`) : a));
  try {
    return parseArgs({ args: normalised, options: { ...KAMAL_GLOBAL_OPTIONS, ...extra }, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UserError(`${(err as Error).message}\n\n${usage}`, { exitCode: 64 });
  }
}

/** `-h a,b -h c` → `[a, b, c]`. */
export function csv(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

function seconds(value: string | undefined, flag: string, fallback: number, usage: string): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UserError(`${flag}: expected a number of seconds, got "${value}"\n\n${usage}`, { exitCode: 64 });
  return Number(value);
}

export interface GlobalValues {
  verbose?: boolean; quiet?: boolean; version?: string; primary?: boolean; hosts?: string[]; roles?: string[];
  'config-file'?: string; destination?: string; 'skip-hooks'?: boolean; 'lock-wait'?: boolean;
  'lock-wait-timeout'?: string; 'lock-wait-interval'?: string; json?: boolean;
}

export function globalSettings(values: GlobalValues, usage: string) {
  if (values.verbose && values.quiet) throw new UserError(`-v and -q cannot be used together\n\n${usage}`, { exitCode: 64 });
  return {
    verbosity: values.quiet ? 'quiet' as const : values.verbose ? 'verbose' as const : 'normal' as const,
    selection: { roles: csv(values.roles), hosts: csv(values.hosts), primary: values.primary ?? false },
    lockWait: values['lock-wait']
      ? {
          timeoutSeconds: seconds(values['lock-wait-timeout'], '--lock-wait-timeout', ROLLOUT_DEFAULTS.lockWaitTimeoutSeconds, usage),
          intervalSeconds: Math.max(1, seconds(values['lock-wait-interval'], '--lock-wait-interval', ROLLOUT_DEFAULTS.lockWaitIntervalSeconds, usage)),
        }
      : null,
  };
}
