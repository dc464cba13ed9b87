import { BASE_OPTIONS, KAMAL_GLOBAL_OPTIONS } from './globals.js';
import type { CommandSpec, OptionSpecs } from './spec.js';

const COLUMN = 30;

function optionLines(options: OptionSpecs): string[] {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return `  ${flag.padEnd(COLUMN - 2)} ${o.description}`;
  });
}

function visible(spec: CommandSpec): CommandSpec[] {
  return (spec.subcommands ?? []).filter((s) => !s.hidden);
}

function usageLine(spec: CommandSpec, path: string[]): string {
  const words = ['drover', ...path];
  if (spec.subcommands?.length && !spec.run) words.push('<command>');
  if (spec.usage) words.push(spec.usage);
  words.push('[options]');
  return `Usage: ${words.join(' ')}`;
}

/** The help of one command, generated from its spec: usage, description, subcommands, options, global options. */
export function helpText(spec: CommandSpec, path: string[]): string {
  const sections = [usageLine(spec, path), spec.description ?? spec.summary];
  const subs = visible(spec);
  if (subs.length > 0) {
    const width = Math.max(...subs.map((s) => s.name.length)) + 2;
    sections.push(['Commands:', ...subs.map((s) => `  ${s.name.padEnd(width)}${s.summary}`)].join('\n'));
  }
  if (spec.options && Object.keys(spec.options).length > 0) sections.push(['Options:', ...optionLines(spec.options)].join('\n'));
  const globals = spec.kamalGlobals === false ? BASE_OPTIONS : { ...KAMAL_GLOBAL_OPTIONS, ...BASE_OPTIONS };
  sections.push([spec.kamalGlobals === false ? 'Common options:' : 'Global options (as Kamal\'s):', ...optionLines(globals)].join('\n'));
  if (subs.length > 0) sections.push(`Run \`drover ${[...path, '<command>'].join(' ')} --help\` for a command's options.`);
  return sections.join('\n\n');
}

/** Every command path in the tree, depth first (for `drover help --all` and the completeness test). */
export function allCommands(root: CommandSpec, path: string[] = []): { spec: CommandSpec; path: string[] }[] {
  return (root.subcommands ?? []).flatMap((s) => [{ spec: s, path: [...path, s.name] }, ...allCommands(s, [...path, s.name])]);
}
