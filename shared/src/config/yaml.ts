import { parseDocument, type Tags } from 'yaml';
import { UserError } from '../errors.js';

/**
 * YAML the way Kamal reads it (Ruby Psych, YAML 1.1): anchors, aliases, `<<` merge keys,
 * `1_000` integers, octal `012`, `:symbol` text. Booleans follow Psych, not the full 1.1 list:
 * yes/no/on/off/true/false in any case are booleans, but `y` and `n` stay strings.
 */
const psychTrue = /^(?:yes|true|on)$/i;
const psychFalse = /^(?:no|false|off)$/i;

/** Psych keeps a lone `.` (as in `context: .`) as a string; the 1.1 float rule would make it NaN. */
function withoutLoneDot<T extends { test?: RegExp }>(tag: T): T {
  if (!tag.test || !tag.test.test('.')) return tag;
  return { ...tag, test: new RegExp(`^(?![-+]?\\.$)(?:${tag.test.source})`) };
}

function psychScalars(tags: Tags): Tags {
  const others = tags
    .filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:bool')
    .map((t) => (typeof t === 'string' ? t : withoutLoneDot(t)));
  const bool = (value: boolean, test: RegExp) => ({
    identify: (v: unknown) => v === value,
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test,
    resolve: () => value,
  });
  return [bool(true, psychTrue), bool(false, psychFalse), ...others] as Tags;
}

/** Parses one rendered file; syntax errors carry the file, line and column. */
export function parseYaml11(source: string, file: string): unknown {
  const doc = parseDocument(source, {
    version: '1.1',
    merge: true,
    // Ruby keeps the last of duplicated keys instead of failing.
    uniqueKeys: false,
    customTags: psychScalars,
    prettyErrors: true,
  });
  if (doc.errors.length > 0) {
    const details = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
      return `${where}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
    });
    throw new UserError(`${file}: invalid YAML`, { details });
  }
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new UserError(`${file}: invalid YAML: ${(err as Error).message}`);
  }
}
