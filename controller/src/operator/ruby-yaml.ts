/**
 * Ruby's `to_yaml` (Psych on libyaml 0.2.5, default options) for the values a configuration holds,
 * byte for byte: `---` header, block collections with sequences not indented under a mapping key,
 * `{}`/`[]` when empty, Psych's quoting rules (psych-scalar.ts) and then libyaml's scalar analysis,
 * style selection, escaping and line wrapping at 80 columns, ported from libyaml's emitter.c.
 *
 * Values: null/undefined (nil), booleans, numbers (Integer, or Float when not integral), bigint,
 * strings (a string Psych would load as a Symbol, like `:fatal`, is printed as that Symbol), Date
 * (a Date at UTC midnight is a Ruby Date, otherwise a UTC Time), arrays, plain objects (hashes whose
 * keys follow the same string rules) and {@link RubyObject}.
 */
import { analyze, escapeCode, isBreak, isPrintable } from './libyaml-scalar.js';
import { scalarEvent, type ScalarEvent } from './psych-scalar.js';

/** A Ruby object Psych dumps as `!ruby/object:<Class>` with its instance variables. */
export class RubyObject {
  constructor(
    readonly className: string,
    readonly ivars: Record<string, unknown>,
  ) {}

  toJSON(): Record<string, unknown> {
    return { [`!ruby/object:${this.className}`]: this.ivars };
  }
}

type Style = 'plain' | 'single' | 'double' | 'literal';

interface TagData {
  handle: string | null;
  suffix: string | null;
}

interface Context {
  mapping: boolean;
  simpleKey: boolean;
}

const BEST_INDENT = 2;
const BEST_WIDTH = 80;
const TAG_DIRECTIVES: [handle: string, prefix: string][] = [['!', '!'], ['!!', 'tag:yaml.org,2002:']];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof RubyObject);
}

/** `yaml_emitter_analyze_tag` with the default directives. */
function analyzeTag(tag: string): TagData {
  for (const [handle, prefix] of TAG_DIRECTIVES) {
    if (prefix.length < tag.length && tag.startsWith(prefix)) return { handle, suffix: tag.slice(prefix.length) };
  }
  return { handle: null, suffix: tag };
}

class Emitter {
  out = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = -1;
  private readonly indents: number[] = [];
  private openEnded = 0;

  document(root: unknown): void {
    this.writeIndent();
    this.writeIndicator('---', true, false, false);
    this.node(root, { mapping: false, simpleKey: false });
    this.writeIndent();
    if (this.openEnded === 2) {
      this.writeIndicator('...', true, false, false);
      this.writeIndent();
    }
  }

  private put(s: string): void {
    this.out += s;
    this.column += 1;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  private writeBreak(c: string): void {
    if (c === '\n') this.putBreak();
    else {
      this.out += c;
      this.column = 0;
    }
  }

  private writeIndent(): void {
    const indent = this.indent >= 0 ? this.indent : 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const c of indicator) this.put(c);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  private processTag(tag: TagData | null): void {
    if (!tag) return;
    if (tag.handle !== null) {
      if (!this.whitespace) this.put(' ');
      for (const c of tag.handle) this.put(c);
      this.whitespace = this.indention = false;
      if (tag.suffix !== null) this.writeTagContent(tag.suffix, false);
    } else {
      this.writeIndicator('!<', true, false, false);
      this.writeTagContent(tag.suffix ?? '', false);
      this.writeIndicator('>', false, false, false);
    }
  }

  private writeTagContent(value: string, needWhitespace: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const c of value) {
      if (/[0-9A-Za-z_\-;/?:@&=+$,.~*'()[\]]/.test(c)) this.put(c);
      else for (const byte of Buffer.from(c)) for (const ch of `%${byte.toString(16).toUpperCase().padStart(2, '0')}`) this.put(ch);
    }
    this.whitespace = this.indention = false;
  }

  private node(value: unknown, ctx: Context): void {
    if (Array.isArray(value)) this.sequence(value, ctx);
    else if (value instanceof RubyObject) this.mapping(Object.entries(value.ivars), analyzeTag(`!ruby/object:${value.className}`));
    else if (isPlainObject(value)) this.mapping(Object.entries(value), null);
    else this.scalar(scalarEvent(value), ctx);
  }

  private emptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.increaseIndent(true, false);
    this.popIndent();
    this.writeIndicator(close, false, false, false);
  }

  private sequence(items: unknown[], ctx: Context): void {
    if (items.length === 0) return this.emptyFlow('[', ']');
    this.increaseIndent(false, ctx.mapping && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.node(item, { mapping: false, simpleKey: false });
    }
    this.popIndent();
  }

  private mapping(pairs: [string, unknown][], tag: TagData | null): void {
    this.processTag(tag);
    if (pairs.length === 0) return this.emptyFlow('{', '}');
    this.increaseIndent(false, false);
    for (const [key, value] of pairs) {
      this.writeIndent();
      const event = scalarEvent(key);
      const analysis = analyze(event.value);
      if (!analysis.multiline && analysis.length <= 128) {
        this.scalar(event, { mapping: true, simpleKey: true }, analysis);
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.scalar(event, { mapping: true, simpleKey: false }, analysis);
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.node(value, { mapping: true, simpleKey: false });
    }
    this.popIndent();
  }

  /** `yaml_emitter_emit_scalar`: select the style, write the tag, then the scalar one level deeper. */
  private scalar(event: ScalarEvent, ctx: Context, analysis = analyze(event.value)): void {
    let tag = event.tag !== null && !event.plainImplicit && !event.quotedImplicit ? analyzeTag(event.tag) : null;
    let style: Style = event.style === 'any' ? 'plain' : event.style;
    if (ctx.simpleKey && analysis.multiline) style = 'double';
    if (style === 'plain') {
      if (!analysis.blockPlain) style = 'single';
      if (analysis.length === 0 && ctx.simpleKey) style = 'single';
      if (!tag && !event.plainImplicit) style = 'single';
    }
    if (style === 'single' && !analysis.singleQuoted) style = 'double';
    if (style === 'literal' && (!analysis.block || ctx.simpleKey)) style = 'double';
    if (!tag && !event.quotedImplicit && style !== 'plain') tag = { handle: '!', suffix: null };
    this.processTag(tag);
    this.increaseIndent(true, false);
    const allowBreaks = !ctx.simpleKey;
    if (style === 'plain') this.writePlain(event.value, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(event.value, allowBreaks);
    else if (style === 'double') this.writeDoubleQuoted(event.value, allowBreaks);
    else this.writeLiteral(event.value);
    this.popIndent();
  }

  private writePlain(value: string, allowBreaks: boolean): void {
    const chars = [...value];
    let spaces = false;
    let breaks = false;
    if (!this.whitespace && chars.length > 0) this.put(' ');
    chars.forEach((c, i) => {
      if (c === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && chars[i + 1] !== ' ') this.writeIndent();
        else this.put(c);
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === '\n') this.putBreak();
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(c);
        this.indention = false;
        spaces = breaks = false;
      }
    });
    this.whitespace = this.indention = false;
  }

  private writeSingleQuoted(value: string, allowBreaks: boolean): void {
    const chars = [...value];
    let spaces = false;
    let breaks = false;
    this.writeIndicator("'", true, false, false);
    chars.forEach((c, i) => {
      if (c === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1 && chars[i + 1] !== ' ') this.writeIndent();
        else this.put(c);
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === '\n') this.putBreak();
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (c === "'") this.put("'");
        this.put(c);
        this.indention = false;
        spaces = breaks = false;
      }
    });
    if (breaks) this.writeIndent();
    this.writeIndicator("'", false, false, false);
    this.whitespace = this.indention = false;
  }

  private writeDoubleQuoted(value: string, allowBreaks: boolean): void {
    const chars = [...value];
    let spaces = false;
    this.writeIndicator('"', true, false, false);
    chars.forEach((c, i) => {
      const cp = c.codePointAt(0)!;
      if (!isPrintable(cp) || cp === 0xfeff || isBreak(c) || c === '"' || c === '\\') {
        this.put('\\');
        for (const ch of escapeCode(cp)) this.put(ch);
        spaces = false;
      } else if (c === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1) {
          this.writeIndent();
          if (chars[i + 1] === ' ') this.put('\\');
        } else {
          this.put(c);
        }
        spaces = true;
      } else {
        this.put(c);
        spaces = false;
      }
    });
    this.writeIndicator('"', false, false, false);
    this.whitespace = this.indention = false;
  }

  private writeLiteral(value: string): void {
    const chars = [...value];
    this.writeIndicator('|', true, false, false);
    if (chars[0] === ' ' || isBreak(chars[0])) this.writeIndicator(String(BEST_INDENT), false, false, false);
    this.openEnded = 0;
    let chomp: string | null = null;
    const last = chars.length - 1;
    if (chars.length === 0 || !isBreak(chars[last])) chomp = '-';
    else if (last === 0 || isBreak(chars[last - 1])) {
      chomp = '+';
      this.openEnded = 2;
    }
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = this.whitespace = true;
    let breaks = true;
    for (const c of chars) {
      if (isBreak(c)) {
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(c);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

/** `value.to_yaml` as Ruby prints it. */
export function rubyYaml(value: unknown): string {
  const emitter = new Emitter();
  emitter.document(value);
  return emitter.out;
}
