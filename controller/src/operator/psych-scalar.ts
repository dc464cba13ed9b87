/**
 * Ruby Psych's side of `to_yaml`, which runs before libyaml: the scalar event each value becomes
 * (`scalarEvent`, after Psych's `visit_*` methods), and for strings
 * `ScalarScanner#tokenize` (what a plain scalar would load back as; Psych quotes a String whose
 * plain form would load as something else) and `YAMLTree#visit_String` (the style it asks libyaml
 * for). libyaml's own checks follow in ruby-yaml.ts. Ruby's `^`/`$` are line anchors, so the checks
 * that can see a newline are written with `(?<=^|\n)` / `(?=$|\n)`, and Ruby's `.` is `[^\n]`.
 */

export type ScalarKind = 'string' | 'null' | 'bool' | 'time' | 'date' | 'float' | 'int' | 'symbol';

/** The styles Psych requests (libyaml may still change them). `any` lets libyaml choose. */
export type RequestedStyle = 'any' | 'plain' | 'single' | 'double' | 'literal';

/** Ruby's `\s`. */
const RUBY_SPACE = ' \\t\\n\\v\\f\\r';
/** `^[^\d.:-]?[[:alpha:]_\s!@#$%\^&*(){}<>|/\\~;=]+` — text that starts like a word. */
const STRINGISH = new RegExp(`^[^\\d.:\\-]?[\\p{Alphabetic}_${RUBY_SPACE}!@#$%^&*(){}<>|/\\\\~;=]+`, 'u');
const TIME = new RegExp(
  `^-?\\d{4}-\\d{1,2}-\\d{1,2}(?:[Tt]|[${RUBY_SPACE}]+)\\d{1,2}:\\d\\d:\\d\\d(?:\\.\\d*)?(?:[${RUBY_SPACE}]*(?:Z|[-+]\\d{1,2}:?(?:\\d\\d)?))?$`,
);
const DATE = /^\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$/;
const FLOAT = /^(?:[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?)$/;
const INTEGER_LEGACY = /^(?:[-+]?0b[_,]*[0-1][0-1_,]*|[-+]?0[_,]*[0-7][0-7_,]*|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[_,]*[0-9a-fA-F][0-9a-fA-F_,]*)$/;
const SEXAGESIMAL_INT = /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$/;
const SEXAGESIMAL_FLOAT = /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}\.[0-9_]*$/;
/** Onigmo's `[[:word:]]` for UTF-8 text. */
const NON_WORD_START_WITHOUT_QUOTE = /(?<=^|\n)[^\p{L}\p{M}\p{Nd}\p{Pc}][^"]*(?=$|\n)/u;

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `Date.strptime(s, '%F')` succeeds: a real day of the proleptic Gregorian calendar. */
function validDate(s: string): boolean {
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
  return d <= days;
}

/** `Time.utc(...)` in Psych's `parse_time` does not raise `argument out of range`. */
function validTime(s: string): boolean {
  const m = /^-?\d{4}-(\d{1,2})-(\d{1,2})(?:[Tt]|\s+)(\d{1,2}):(\d\d):(\d\d)/.exec(s);
  if (!m) return false;
  const [mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && mi <= 59 && se <= 60 && (h < 24 || (h === 24 && mi === 0 && se === 0));
}

/** What Psych's `ScalarScanner#tokenize` turns a plain scalar into (its parse of `s`). */
export function tokenizeKind(s: string): ScalarKind {
  if (s === '') return 'null';
  if (STRINGISH.test(s) || s.includes('\n')) {
    if (codePoints(s) > 5) return 'string';
    if (/(?<=^|\n)[^ytonf~]/i.test(s)) return 'string';
    if (s === '~' || /(?<=^|\n)null(?=$|\n)/i.test(s)) return 'null';
    if (/(?<=^|\n)(?:yes|true|on|no|false|off)(?=$|\n)/i.test(s)) return 'bool';
    return 'string';
  }
  if (TIME.test(s)) return validTime(s) ? 'time' : 'string';
  if (DATE.test(s)) return validDate(s) ? 'date' : 'string';
  if (/^\+?\.inf$/i.test(s) || /^-\.inf$/i.test(s) || /^\.nan$/i.test(s)) return 'float';
  if (/^:[^\n]/.test(s)) return 'symbol';
  if (SEXAGESIMAL_INT.test(s)) return 'int';
  if (SEXAGESIMAL_FLOAT.test(s)) return 'float';
  if (FLOAT.test(s)) return /^[-+]?\.$/.test(s) ? 'string' : 'float';
  if (INTEGER_LEGACY.test(s)) return 'int';
  return 'string';
}

/**
 * Text that Psych loads as a Ruby Symbol (`:fatal`, `:verbose`). Configuration is parsed into
 * JavaScript strings that keep the colon, so such a string stands for the Symbol it was in Ruby,
 * and is printed the way Psych prints a Symbol.
 */
export function isSymbolText(s: string): boolean {
  return tokenizeKind(s) === 'symbol';
}

/** The symbol's name as Psych reads it (`:"a b"` is the symbol `a b`). */
export function symbolName(s: string): string {
  const quoted = /^:(["'])([^\n]*)\1/.exec(s);
  return quoted ? quoted[2]!.replace(/^:/, '') : s.replace(/^:/, '');
}

/** The scalar event Psych sends to libyaml: the text, the style it asks for, and its tag flags. */
export interface ScalarEvent {
  value: string;
  style: RequestedStyle;
  /** Only `<<` carries a tag here (`!!str`), with both implicit flags off. */
  tag: string | null;
  plainImplicit: boolean;
  quotedImplicit: boolean;
}

/** `YAMLTree#visit_String` for a UTF-8 String without instance variables, line_width unset. */
export function psychString(s: string): ScalarEvent {
  const base = { value: s, tag: null, plainImplicit: true, quotedImplicit: true };
  if (/\n(?!\n?$)/.test(s)) return { ...base, style: 'literal' };
  if (s === '<<') return { value: s, style: 'single', tag: 'tag:yaml.org,2002:str', plainImplicit: false, quotedImplicit: false };
  if (s === 'y' || s === 'Y' || s === 'n' || s === 'N') return { ...base, style: 'double' };
  if (NON_WORD_START_WITHOUT_QUOTE.test(s)) return { ...base, style: 'double' };
  if (tokenizeKind(s) !== 'string' || /^0[0-7]*[89]/.test(s)) return { ...base, style: 'single' };
  return { ...base, style: 'plain' };
}

/** Ruby's `Float#to_s`. */
export function rubyFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  const [mantissa = '0', exponent = '0'] = n.toExponential().split('e');
  const exp = Number(exponent);
  if (exp < -4 || exp >= 16) {
    const m = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = Object.is(n, -0) ? '-0' : String(n);
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

/** Ruby's `Integer#to_s` for a JavaScript integer (no exponent form). */
export function rubyInteger(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  return Math.abs(n) >= 1e21 ? BigInt(n).toString() : String(Object.is(n, -0) ? 0 : n);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** The scalar event Psych's visitor sends for a value (`visit_String`, `visit_Symbol`, `visit_Integer`, …). */
export function scalarEvent(value: unknown): ScalarEvent {
  const implicit = (text: string, tag: string | null = null): ScalarEvent => ({ value: text, style: 'any', tag, plainImplicit: true, quotedImplicit: false });
  if (value === null || value === undefined) return implicit('', 'tag:yaml.org,2002:null');
  if (typeof value === 'boolean') return implicit(String(value));
  if (typeof value === 'bigint') return implicit(rubyInteger(value));
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return implicit('.nan');
    if (!Number.isFinite(value)) return implicit(value > 0 ? '.inf' : '-.inf');
    return implicit(Number.isInteger(value) ? rubyInteger(value) : rubyFloat(value));
  }
  if (value instanceof Date) {
    const d = value;
    const date = `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
    const midnight = d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0 && d.getUTCMilliseconds() === 0;
    if (midnight) return implicit(date);
    const nanos = `${String(d.getUTCMilliseconds()).padStart(3, '0')}000000`;
    return implicit(`${date} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${nanos} Z`);
  }
  const text = typeof value === 'string' ? value : String(value);
  if (isSymbolText(text)) return implicit(`:${symbolName(text)}`);
  return psychString(text);
}
