/**
 * Kamal's secrets env file (Kamal::EnvFile) and how the docker CLI reads it back with `--env-file`.
 * The agent writes the file exactly as Kamal does, then turns it into the container's Env the way
 * the CLI would, so `docker inspect` shows the same environment as after a Kamal deploy.
 */

import { rubyDumpBody } from '@drover/shared/ruby-dump';

/** One value as Kamal escapes it: dump ASCII runs (then unescape `\"` and `\#`), keep non-ASCII as is. */
export function escapeEnvFileValue(value: string): string {
  return value.replace(/[\x00-\x7f]+/g, (ascii) => rubyDumpBody(ascii).replace(/\\"/g, '"').replace(/\\#/g, '#'));
}

/** The file Kamal uploads: `KEY=value\n` per entry; an empty file is "\n". */
export function renderEnvFile(env: Record<string, string>): string {
  const text = Object.entries(env).map(([k, v]) => `${k}=${escapeEnvFileValue(v)}\n`).join('');
  return text === '' ? '\n' : text;
}

/**
 * The docker CLI's `--env-file` parser: leading whitespace trimmed, blank and `#` lines skipped,
 * `KEY=value` taken literally, a bare `KEY` copied from the client's environment when set.
 */
export function parseDockerEnvFile(text: string, clientEnv: NodeJS.ProcessEnv, where: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq === -1 ? line : line.slice(0, eq);
    if (name === '') throw new Error(`${where}:${i + 1}: no variable name before "="`);
    if (/\s/.test(name)) throw new Error(`${where}:${i + 1}: variable '${name.trim()}' contains whitespaces`);
    if (eq !== -1) out.push(`${name}=${line.slice(eq + 1)}`);
    else if (clientEnv[name] !== undefined) out.push(`${name}=${clientEnv[name]}`);
  });
  return out;
}

/**
 * Clear env values as the remote shell would see Kamal's `--env KEY="<escaped>"`: `${VAR}` is expanded
 * from the host environment (empty when unset), everything else is literal. `""` is a bare `--env KEY`,
 * which the docker CLI fills from its environment, or drops when unset.
 */
export function clearEnvEntries(clear: Record<string, string>, hostEnv: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(clear)) {
    if (value === '') {
      if (hostEnv[key] !== undefined) out.push(`${key}=${hostEnv[key]}`);
      continue;
    }
    out.push(`${key}=${value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => hostEnv[name] ?? '')}`);
  }
  return out;
}
