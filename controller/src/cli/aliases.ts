import type { CliIO } from './framework/spec.js';

/** The value of `-c/--config-file` or `-d/--destination` in argv, in any of its spellings. */
function optionIn(argv: string[], short: string, long: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `-${short}` || a === `--${long}`) return argv[i + 1];
    if (a.startsWith(`--${long}=`)) return a.slice(long.length + 3);
    if (a.startsWith(`-${short}`) && a.length > 2 && !a.startsWith('--')) return a.slice(2);
  }
  return undefined;
}

/**
 * Kamal's aliases: an unknown command is looked up in `aliases:` of the raw config (read with the line's
 * own -c and -d, before validation), and runs as the alias's words followed by the rest of the line.
 */
export async function expandAlias(name: string, rest: string[], io: CliIO): Promise<string[] | null> {
  const { loadConfigFiles } = await import('@drover/shared/config');
  const { shellSplit } = await import('@drover/shared/secrets/shellwords');
  let raw: Record<string, unknown>;
  try {
    ({ raw } = await loadConfigFiles({ cwd: io.cwd, env: io.env, configFile: optionIn(rest, 'c', 'config-file'), destination: optionIn(rest, 'd', 'destination') }));
  } catch {
    return null;
  }
  const aliases = raw.aliases;
  if (typeof aliases !== 'object' || aliases === null) return null;
  const command = (aliases as Record<string, unknown>)[name];
  return typeof command === 'string' ? [...shellSplit(command), ...rest] : null;
}
