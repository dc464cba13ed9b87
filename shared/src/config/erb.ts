import { UserError } from '../errors.js';

/**
 * The ERB that deploy.yml files use in practice, evaluated without Ruby:
 * `<%= ENV["X"] %>` (empty when unset), `<%= ENV.fetch("X") %>` (error when unset),
 * `<%= ENV.fetch("X", "default") %>`, `<%# comments %>`, `<%%` for a literal `<%`, and the
 * `-` trim markers. Anything else is an error naming file and line — never left in the output,
 * where it would silently become part of a value.
 */
const STRING = String.raw`(?:"([^"\\]*)"|'([^'\\]*)')`;
const ENV_INDEX = new RegExp(String.raw`^ENV\[\s*${STRING}\s*\]$`);
const ENV_FETCH = new RegExp(String.raw`^ENV\.fetch\(\s*${STRING}\s*(?:,\s*${STRING}\s*)?\)$`);

function lineOf(source: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

function evaluate(expression: string, env: Record<string, string | undefined>): { value: string } | { error: string } {
  const index = ENV_INDEX.exec(expression);
  if (index) return { value: env[(index[1] ?? index[2])!] ?? '' };
  const fetch = ENV_FETCH.exec(expression);
  if (fetch) {
    const name = (fetch[1] ?? fetch[2])!;
    const fallback = fetch[3] ?? fetch[4];
    const value = env[name];
    if (value !== undefined) return { value };
    if (fallback !== undefined) return { value: fallback };
    return { error: `key not found: "${name}" (ENV.fetch without a default)` };
  }
  return { error: `unsupported ERB <%= ${expression} %> (supported: ENV["X"], ENV.fetch("X"), ENV.fetch("X", "default"), <%# comments %>)` };
}

export function renderErb(source: string, file: string, env: Record<string, string | undefined>): string {
  let out = '';
  let pos = 0;
  const problems: string[] = [];
  while (pos < source.length) {
    const open = source.indexOf('<%', pos);
    if (open === -1) {
      out += source.slice(pos);
      break;
    }
    if (source[open + 2] === '%') {
      out += source.slice(pos, open) + '<%';
      pos = open + 3;
      continue;
    }
    let text = source.slice(pos, open);
    const close = source.indexOf('%>', open + 2);
    const line = lineOf(source, open);
    if (close === -1) {
      problems.push(`${file}:${line}: unterminated ERB tag`);
      out += text;
      break;
    }
    let body = source.slice(open + 2, close);
    let end = close + 2;
    if (body.startsWith('-')) {
      // `<%-` drops the indentation before the tag.
      body = body.slice(1);
      const lineStart = text.lastIndexOf('\n') + 1;
      if (/^[ \t]*$/.test(text.slice(lineStart))) text = text.slice(0, lineStart);
    }
    if (body.endsWith('-')) {
      body = body.slice(0, -1);
      if (source[end] === '\n') end += 1;
      else if (source.startsWith('\r\n', end)) end += 2;
    }
    out += text;
    if (body.trim().startsWith('#')) {
      // `<%#` and `<% # …` (Ruby code that is only a comment) render nothing
    } else if (body.startsWith('=')) {
      const result = evaluate(body.slice(1).trim(), env);
      if ('value' in result) out += result.value;
      else problems.push(`${file}:${line}: ${result.error}`);
    } else {
      problems.push(`${file}:${line}: unsupported ERB <%${body}%> (Ruby code is not evaluated; only <%= ENV… %> and <%# … %> are supported)`);
    }
    pos = end;
  }
  if (problems.length > 0) throw new UserError(`${file}: cannot render ERB`, { details: problems });
  return out;
}
