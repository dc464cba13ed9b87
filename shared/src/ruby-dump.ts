/**
 * Ruby's `String#dump` escaping, which Kamal uses both for kamal-proxy flag values and for
 * its env files. Non-ASCII characters are left as they are (the callers keep them verbatim).
 */

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\f': '\\f', '\v': '\\v', '\b': '\\b', '\x07': '\\a', '\x1b': '\\e' };

/** The escaped text, without the surrounding quotes. */
export function rubyDumpBody(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    const code = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '#' && ['{', '$', '@'].includes(value[i + 1] ?? '')) out += '\\#';
    else if (NAMED_ESCAPES[ch]) out += NAMED_ESCAPES[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** `value.dump` in Ruby: the escaped text in double quotes. */
export function rubyDump(value: string): string {
  return `"${rubyDumpBody(value)}"`;
}
