/**
 * Kamal's secrets file format: Ruby dotenv 3 with Kamal's inline command substitution.
 * - `KEY=value`, `export KEY=value`, `KEY: value`; `#` comments;
 * - single quotes: literal; double quotes: `\n` escapes, interpolation;
 * - `$VAR` / `${VAR}`: an earlier key of the same file, else the environment, else empty;
 *   `\$VAR` stays literal;
 * - `$(command)`: run after variables are expanded, output chomped; nested and `\(` `\)`
 *   parentheses allowed; `\$(…)` stays literal. `kamal secrets …` / `drover secrets …` commands
 *   run in-process through `runInline`.
 */

const LINE =
  /^\s*(export\s+)?([\w.]+)(?:(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|[^#\n]+)?)?\s*(?:#.*)?$/gm;
const VARIABLE = /(\\)?(\$)(?!\()\{?([A-Z0-9_]+)?\}?/gi;
const INLINE_SECRETS = /^\s*(?:kamal|drover)\s*secrets\s+/;

export interface DotenvContext {
  /** The environment `$VAR` falls back to. */
  env: Record<string, string | undefined>;
  /** Runs `$(…)` through a shell; resolves to stdout. */
  runShell: (command: string) => Promise<string>;
  /** Runs `kamal secrets …` in-process; resolves to its inline output. */
  runInline: (command: string) => Promise<string>;
}

export class DotenvFormatError extends Error {}

function substituteVariables(value: string, hash: Record<string, string>, env: Record<string, string | undefined>): string {
  return value.replace(VARIABLE, (whole, escaped: string | undefined, _dollar: string, name: string | undefined) => {
    if (escaped) return whole.slice(1);
    if (name !== undefined) return hash[name] ?? env[name] ?? '';
    return whole;
  });
}

/** Finds `$(…)` spans with balanced parentheses (Ruby's recursive `\g<cmd>`). */
function findCommand(text: string, from: number): { start: number; end: number; escaped: boolean; command: string } | null {
  for (let i = text.indexOf('$(', from); i !== -1; i = text.indexOf('$(', i + 1)) {
    let depth = 0;
    let j = i + 1;
    for (; j < text.length; j++) {
      const ch = text[j];
      if (ch === '\\') { j++; continue; }
      if (ch === '(') depth++;
      else if (ch === ')' && --depth === 0) break;
    }
    if (depth !== 0 || j >= text.length || j === i + 2) continue;
    const escaped = i > 0 && text[i - 1] === '\\';
    return { start: escaped ? i - 1 : i, end: j + 1, escaped, command: text.slice(i + 2, j) };
  }
  return null;
}

async function substituteCommands(value: string, ctx: DotenvContext): Promise<string> {
  let out = '';
  let pos = 0;
  for (let found = findCommand(value, 0); found; found = findCommand(value, pos)) {
    out += value.slice(pos, found.start);
    if (found.escaped) out += value.slice(found.start + 1, found.end);
    else if (INLINE_SECRETS.test(found.command)) out += await ctx.runInline(found.command);
    else out += (await ctx.runShell(found.command)).replace(/\r?\n$|\r$/, '');
    pos = found.end;
  }
  return out + value.slice(pos);
}

async function parseValue(raw: string, hash: Record<string, string>, ctx: DotenvContext): Promise<string> {
  let value = raw.trim();
  const quoted = /^(['"])([\s\S]*)\1$/.exec(value);
  const quote = quoted?.[1];
  if (quoted) value = quoted[2]!;
  if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
  if (quote !== "'") {
    value = value.replace(/\\([^$])/g, '$1');
    value = substituteVariables(value, hash, ctx.env);
    value = await substituteCommands(value, ctx);
  }
  return value;
}

/** Parses one file's text; later keys override earlier ones. */
export async function parseDotenv(text: string, ctx: DotenvContext): Promise<Record<string, string>> {
  const hash: Record<string, string> = {};
  for (const match of text.replace(/\r\n?/g, '\n').matchAll(LINE)) {
    const [line, exported, key, value] = match;
    if (exported && value === undefined) {
      if (!(key! in hash)) throw new DotenvFormatError(`Line ${JSON.stringify(line.trim())} has an unset variable`);
      continue;
    }
    hash[key!] = await parseValue(value ?? '', hash, ctx);
  }
  return hash;
}
