/**
 * Command-line flags parsed the way cobra/pflag do it, so kamal-proxy's invocations (as Kamal writes
 * them: `--flag="value"`, bare booleans, `--flag="false"`, repeated slice flags) and its error texts match.
 */
import { parseDuration, formatDuration } from '../duration.js';

export type FlagType = 'bool' | 'string' | 'strings' | 'duration' | 'int';

export interface FlagSpec {
  type: FlagType;
  default: boolean | string | string[] | number;
  usage: string;
  required?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValue = boolean | string | string[] | number;

export class UsageError extends Error {}

export interface ParsedFlags {
  values: Record<string, FlagValue>;
  changed: Set<string>;
  args: string[];
  help: boolean;
}

export function parseFlags(argv: string[], specs: FlagSpecs): ParsedFlags {
  const values: Record<string, FlagValue> = {};
  for (const [name, spec] of Object.entries(specs)) values[name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  const changed = new Set<string>();
  const args: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      args.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown shorthand flag: '${arg[1]}' in ${arg}`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag: --${name}`);
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (spec.type === 'bool') raw = 'true';
    else if (i + 1 < argv.length) raw = argv[++i]!;
    else throw new UsageError(`flag needs an argument: --${name}`);
    values[name] = convert(name, spec, raw, changed.has(name) ? values[name]! : null);
    changed.add(name);
  }
  return { values, changed, args, help };
}

/** Checked after the positional arguments, as cobra does. */
export function checkRequired(parsed: ParsedFlags, specs: FlagSpecs): void {
  const missing = Object.entries(specs).filter(([n, s]) => s.required && !parsed.changed.has(n)).map(([n]) => `"${n}"`);
  if (missing.length) throw new UsageError(`required flag(s) ${missing.join(', ')} not set`);
}

function convert(name: string, spec: FlagSpec, raw: string, previous: FlagValue | null): FlagValue {
  const invalid = (why: string): UsageError => new UsageError(`invalid argument "${raw}" for "--${name}" flag: ${why}`);
  switch (spec.type) {
    case 'bool': {
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
      if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
      throw invalid(`strconv.ParseBool: parsing "${raw}": invalid syntax`);
    }
    case 'string':
      return raw;
    case 'strings': {
      const items = raw === '' ? [] : parseCsv(raw);
      if (items === null) throw invalid('parse error on line 1: bare " in non-quoted-field');
      return previous === null ? items : [...(previous as string[]), ...items];
    }
    case 'duration':
      try {
        return parseDuration(raw);
      } catch (err) {
        throw invalid((err as Error).message);
      }
    case 'int': {
      if (!/^[-+]?(0x[0-9a-f]+|0o?[0-7]+|0b[01]+|\d+)$/i.test(raw.replace(/_/g, ''))) {
        throw invalid(`strconv.ParseInt: parsing "${raw}": invalid syntax`);
      }
      const n = Number(raw.replace(/_/g, '').replace(/^([-+]?)0o?([0-7]+)$/i, (_m, s: string, d: string) => `${s}0o${d}`));
      if (!Number.isSafeInteger(n)) throw invalid(`strconv.ParseInt: parsing "${raw}": value out of range`);
      return n;
    }
  }
}

/** pflag reads slice flags as one CSV record. */
function parseCsv(text: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i <= text.length) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) return null;
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      out.push(value);
      if (i < text.length && text[i] !== ',') return null;
      i++;
    } else {
      const end = text.indexOf(',', i);
      const value = end < 0 ? text.slice(i) : text.slice(i, end);
      if (value.includes('"')) return null;
      out.push(value);
      i = end < 0 ? text.length + 1 : end + 1;
    }
  }
  return out;
}

export function formatUsage(specs: FlagSpecs): string {
  const rows = Object.entries(specs).sort(([a], [b]) => a.localeCompare(b)).map(([name, spec]) => {
    const type = spec.type === 'bool' ? '' : spec.type === 'strings' ? ' strings' : ` ${spec.type}`;
    return { left: `      --${name}${type}`, spec };
  });
  const width = Math.max(...rows.map((r) => r.left.length), 0) + 3;
  return rows.map(({ left, spec }) => `${left.padEnd(width)}${spec.usage}${describeDefault(spec)}`).join('\n');
}

function describeDefault(spec: FlagSpec): string {
  const d = spec.default;
  if (spec.type === 'bool') return d ? ' (default true)' : '';
  if (spec.type === 'duration') return ` (default ${formatDuration(d as number)})`;
  if (spec.type === 'strings') return (d as string[]).length ? ` (default [${(d as string[]).join(',')}])` : '';
  if (spec.type === 'int') return d ? ` (default ${d})` : '';
  return d ? ` (default "${d}")` : '';
}
