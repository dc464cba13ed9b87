import { describeError, DROVER_VERSION, isUserError } from '@drover/shared';
import { EXIT_USAGE, usageError } from './errors.js';
import { globalSettings } from './globals.js';
import { helpText } from './help.js';
import { findCommand, findSubcommand, parseCommandLine } from './parse.js';
import type { CliIO, CommandSpec } from './spec.js';

export interface CliHooks {
  /**
   * Kamal's aliases: an unknown top-level word may name one in deploy.yml. Returns the expanded argv
   * (the alias's words, then the rest of the line), or null when there is no such alias.
   */
  expandAlias?(name: string, rest: string[], io: CliIO): Promise<string[] | null>;
}

/** Runs one command line against the tree; resolves to the exit code. Errors are printed, never thrown. */
export async function runCli(root: CommandSpec, argv: string[], io: CliIO, hooks: CliHooks = {}): Promise<number> {
  try {
    return await dispatch(root, argv, io, hooks, 0);
  } catch (err) {
    io.err(`drover: ${describeError(err)}`);
    return isUserError(err) ? err.exitCode || 1 : 1;
  }
}

async function dispatch(root: CommandSpec, argv: string[], io: CliIO, hooks: CliHooks, depth: number): Promise<number> {
  const [first, ...afterFirst] = argv;
  if (first === undefined || first === '--help') return (io.out(helpText(root, [])), 0);
  if (first === '--version' && argv.length === 1) return (io.out(DROVER_VERSION), 0);
  if (first === 'help') return help(root, afterFirst, io);
  const found = findCommand(root, argv);
  if (found.path.length === 0 && !first.startsWith('-') && hooks.expandAlias && depth === 0) {
    const expanded = await hooks.expandAlias(first, afterFirst, io);
    if (expanded) return dispatch(root, expanded, io, hooks, depth + 1);
  }
  const help_ = helpText(found.spec, found.path);
  if (found.unknown !== null || found.path.length === 0) {
    const words = [...found.path, found.unknown ?? first].join(' ');
    io.err(`drover: unknown command "${words}"\n\n${help_}`);
    return EXIT_USAGE;
  }
  const { spec, path } = found;
  if (!spec.run) {
    const fallback = spec.defaultSubcommand ? findSubcommand(spec, spec.defaultSubcommand) : undefined;
    if (fallback && !found.rest.includes('--help')) return dispatch(root, [...path, fallback.name, ...found.rest], io, hooks, depth);
    if (found.rest.length === 0 || found.rest.includes('--help')) return (io.out(help_), 0);
    io.err(`drover: ${path.join(' ')} needs a command\n\n${help_}`);
    return EXIT_USAGE;
  }
  const { options, args } = parseCommandLine(spec, found.rest, help_);
  if (options.help) return (io.out(help_), 0);
  return spec.run({ path, args, options, globals: globalSettings(options, help_), io, help: help_ });
}

function help(root: CommandSpec, words: string[], io: CliIO): number {
  const found = findCommand(root, words);
  if (found.unknown !== null || found.rest.some((w) => !w.startsWith('-'))) {
    io.err(`drover: no help for unknown command "${words.join(' ')}"`);
    return EXIT_USAGE;
  }
  io.out(helpText(found.spec, found.path));
  return 0;
}

/**
 * Parses a command line without running it: the command's path, options and arguments, or the usage
 * error `runCli` would print (for checking lists of real Kamal command lines).
 */
export function parseOnly(root: CommandSpec, argv: string[]): { path: string[]; args: string[]; options: Record<string, unknown> } {
  const found = findCommand(root, argv);
  const help_ = helpText(found.spec, found.path);
  if (found.unknown !== null || found.path.length === 0) throw usageError(`unknown command "${[...found.path, found.unknown ?? argv[0]].join(' ')}"`, help_);
  if (!found.spec.run) {
    if (found.spec.defaultSubcommand) return parseOnly(root, [...found.path, found.spec.defaultSubcommand, ...found.rest]);
    throw usageError(`${found.path.join(' ')} needs a command`, help_);
  }
  const { options, args } = parseCommandLine(found.spec, found.rest, help_);
  return { path: found.path, args, options };
}
