/** Ruby's Shellwords, which Kamal uses to pass fetched JSON through `$(kamal secrets …)`. */

/** `String#shellescape`: backslash every character outside a small safe set. */
export function shellEscape(text: string): string {
  if (text === '') return "''";
  return text.replace(/[^A-Za-z0-9_\-.,:+/@\n]/g, '\\$&').replace(/\n/g, "'\n'");
}

/** `Shellwords.split`: words, single/double quotes and backslash escapes, like a POSIX shell. */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let field = '';
  let inField = false;
  const token = /\s*(?:([^\0\s\\'"]+)|'([^\0']*)'|"((?:[^\0"\\]|\\[^\0])*)"|(\\[^\0]?)|(\S))(\s|$)?/y;
  token.lastIndex = 0;
  while (token.lastIndex < line.length) {
    const start = token.lastIndex;
    const m = token.exec(line);
    if (!m) break;
    const [, word, sq, dq, esc, garbage, sep] = m;
    if (garbage !== undefined) throw new Error(`Unmatched quote: ${JSON.stringify(line)}`);
    if (word !== undefined || sq !== undefined || dq !== undefined || esc !== undefined) {
      inField = true;
      field += word ?? sq ?? (dq !== undefined ? dq.replace(/\\([$`"\\\n])/g, '$1') : esc!.replace(/\\(.)/gs, '$1'));
    }
    if (sep !== undefined || token.lastIndex >= line.length) {
      if (inField) words.push(field);
      field = '';
      inField = false;
    }
    if (token.lastIndex === start) break;
  }
  return words;
}
