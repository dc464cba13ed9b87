import { describeError, DROVER_VERSION, isUserError } from '@drover/shared';
import { EXIT_USAGE, usageError } from './errors.js';
import { globalSettings } from './globals.js';
import { helpText } from './help.js';
import { findCommand, findSubcommand, parseCommandLine } from './parse.js';
import type { CliIO, CommandSpec, OptionValue } from './spec.js';

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
  if (depth === 0 && hooks.expandAlias && !first.startsWith('-') && findCommand(root, argv).path.length === 0) {
    const expanded = await hooks.expandAlias(first, afterFirst, io);
    if (expanded) return dispatch(root, expanded, io, hooks, depth + 1);
  }
  const resolved = resolve(root, argv);
  if (resolved.kind === 'help') return (io.out(resolved.text), 0);
  const { spec, path, options, args, usage } = resolved;
  return spec.run!({ path, args, options, globals: globalSettings(options, usage), io, help: usage });
}

type Resolved =
  | { kind: 'help'; text: string }
  | { kind: 'run'; spec: CommandSpec; path: string[]; options: Record<string, OptionValue>; args: string[]; usage: string };

/** The command a line names, with its parsed options and arguments, or the help it asks for; usage mistakes throw (exit 64). */
function resolve(root: CommandSpec, argv: string[]): Resolved {
  const found = findCommand(root, argv);
  const usage = helpText(found.spec, found.path);
  if (found.unknown !== null || found.path.length === 0) throw usageError(`unknown command "${[...found.path, found.unknown ?? argv[0]].join(' ')}"`, usage);
  const { spec, path, rest } = found;
  if (!spec.run) {
    const fallback = spec.defaultSubcommand ? findSubcommand(spec, spec.defaultSubcommand) : undefined;
    if (rest.includes('--help') || (!fallback && rest.length === 0)) return { kind: 'help', text: usage };
    if (fallback) return resolve(root, [...path, fallback.name, ...rest]);
    throw usageError(`${path.join(' ')} needs a command`, usage);
  }
  const { options, args } = parseCommandLine(spec, rest, usage);
  return options.help ? { kind: 'help', text: usage } : { kind: 'run', spec, path, options, args, usage };
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
export function parseOnly(root: CommandSpec, argv: string[]): { path: string[]; args: string[]; options: Record<string, OptionValue> } {
  const resolved = resolve(root, argv);
  if (resolved.kind === 'help') throw usageError('no command to run: this line asks for help', resolved.text);
  return { path: resolved.path, args: resolved.args, options: resolved.options };
}
