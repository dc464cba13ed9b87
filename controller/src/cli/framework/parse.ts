import { parseArgs } from 'node:util';
import { usageError } from './errors.js';
import { BASE_OPTIONS, KAMAL_GLOBAL_OPTIONS } from './globals.js';
import type { CommandSpec, OptionSpec, OptionSpecs, OptionValue } from './spec.js';

const canonical = (name: string): string => name.replace(/-/g, '_');

export function findSubcommand(spec: CommandSpec, word: string): CommandSpec | undefined {
  const wanted = canonical(word);
  return spec.subcommands?.find((s) => canonical(s.name) === wanted || (s.aliases ?? []).some((a) => canonical(a) === wanted));
}

/** Walks the leading words of argv down the command tree. */
export function findCommand(root: CommandSpec, argv: string[]): { spec: CommandSpec; path: string[]; rest: string[]; unknown: string | null } {
  let spec = root;
  const path: string[] = [];
  let i = 0;
  while (spec.subcommands?.length && i < argv.length && !argv[i]!.startsWith('-')) {
    const next = findSubcommand(spec, argv[i]!);
    if (!next) return { spec, path, rest: argv.slice(i), unknown: spec.run ? null : argv[i]! };
    spec = next;
    path.push(next.name);
    i++;
  }
  return { spec, path, rest: argv.slice(i), unknown: null };
}

export function optionsOf(spec: CommandSpec): OptionSpecs {
  return { ...(spec.kamalGlobals === false ? {} : KAMAL_GLOBAL_OPTIONS), ...BASE_OPTIONS, ...spec.options };
}

/** Thor reads `--skip_push` as `--skip-push`. */
function dashed(token: string): string {
  return token.startsWith('--') && token.includes('_') ? token.replace(/^--([^=]+)/, (_m, n: string) => `--${n.replace(/_/g, '-')}`) : token;
}

/**
 * A command line for a container, read as Thor reads it: known options anywhere (so an alias's extra
 * `-q` still counts), unknown ones left in the command (`uname -o`), `--` ends the options.
 */
function separateCommandLine(argv: string[], options: OptionSpecs): [string[], string[]] {
  const byShort = new Map(Object.values(options).filter((o) => o.short).map((o) => [o.short!, o]));
  const optionTokens: string[] = [];
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptionSpec | undefined;
    if (token.startsWith('--')) spec = options[dashed(token).slice(2).split('=')[0]!];
    else if (/^-[^-]/.test(token)) {
      const shorts = [...token.slice(1)].map((c) => byShort.get(c));
      // A cluster is an option only when every letter is one and only the last may take a value.
      if (shorts.every((o, k) => o && (o.type === 'boolean' || k === shorts.length - 1))) spec = shorts.at(-1);
    }
    if (!spec) {
      words.push(token);
      continue;
    }
    optionTokens.push(token);
    if (spec.type === 'string' && !token.includes('=') && (token.startsWith('--') || token.length === 2) && i + 1 < argv.length) optionTokens.push(argv[++i]!);
  }
  return [optionTokens, words];
}

/** Parses a command's options strictly (unknown options and missing values are usage errors) and checks its argument count. */
export function parseCommandLine(spec: CommandSpec, argv: string[], help: string): { options: Record<string, OptionValue>; args: string[] } {
  const options = optionsOf(spec);
  const [head, tail] = spec.commandLine ? separateCommandLine(argv, options) : [argv, []];
  let parsed;
  try {
    const config = Object.fromEntries(Object.entries(options).map(([n, o]) => [n, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]));
    parsed = parseArgs({ args: head.map(dashed), options: config, strict: true, allowPositionals: true });
  } catch (err) {
    throw usageError((err as Error).message, help);
  }
  const options_ = parsed.values as Record<string, OptionValue>;
  if (options_.help) return { options: options_, args: [] };
  const args = [...parsed.positionals, ...tail];
  const { min, max } = spec.args ?? { min: 0, max: 0 };
  if (args.length < min) throw usageError(spec.usage ? `missing ${spec.usage}` : 'missing arguments', help);
  if (max !== null && args.length > max) throw usageError(`unexpected argument "${args[max]}"`, help);
  return { options: options_, args };
}
