import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import { fetchWith } from './adapters/base.js';
import { lookupAdapter } from './adapters/index.js';
import type { Runner } from './run.js';
import { shellEscape } from './shellwords.js';

export interface SecretsCommandContext {
  /** `--inline`: return the value shell-escaped for `$(…)` instead of printing it. */
  inline?: boolean;
  env: Record<string, string | undefined>;
  run: Runner;
}

export const FETCH_USAGE = 'Usage: drover secrets fetch [SECRETS...] --adapter NAME [--account ACCOUNT] [--from FROM]';
export const EXTRACT_USAGE = 'Usage: drover secrets extract NAME FETCHED_JSON';

type Options = Record<string, { type: 'string' | 'boolean'; short?: string }>;

function parse(argv: string[], options: Options, usage: string): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options: { ...options, inline: { type: 'boolean' } }, allowPositionals: true, strict: true });
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
  } catch (err) {
    throw new UserError(`${(err as Error).message}\n${usage}`, { exitCode: 64 });
  }
}

/** `secrets fetch`: a JSON object of the fetched secrets. */
export async function secretsFetch(argv: string[], ctx: SecretsCommandContext): Promise<string> {
  const { values, positionals } = parse(
    argv,
    { adapter: { type: 'string', short: 'a' }, account: { type: 'string' }, from: { type: 'string' } },
    FETCH_USAGE,
  );
  if (typeof values.adapter !== 'string') throw new UserError(`No value provided for required options '--adapter'\n${FETCH_USAGE}`, { exitCode: 64 });
  const adapter = lookupAdapter(values.adapter);
  const results = await fetchWith(
    adapter,
    positionals,
    { account: values.account as string | undefined, from: values.from as string | undefined },
    { run: ctx.run, env: ctx.env },
  );
  const json = JSON.stringify(results);
  return ctx.inline || values.inline ? shellEscape(json) : json;
}

/** `secrets extract NAME JSON`: the value of NAME, or of the first key ending in `/NAME`. */
export function secretsExtract(argv: string[], ctx: Pick<SecretsCommandContext, 'inline'>): string {
  const { positionals } = parse(argv, {}, EXTRACT_USAGE);
  const [name, json] = positionals;
  if (name === undefined || json === undefined || positionals.length > 2) throw new UserError(EXTRACT_USAGE, { exitCode: 64 });
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new UserError('secrets extract: the second argument is not the JSON printed by `secrets fetch`');
  }
  const direct = parsed[name];
  const value = direct ?? Object.entries(parsed).find(([k]) => k.endsWith(`/${name}`))?.[1];
  if (value === undefined || value === null) throw new UserError(`Could not find secret ${name}`);
  return String(value);
}

/** `secrets fetch|extract …` as called from a secrets file (`$(kamal secrets …)`), in-process. */
export async function runSecretsCommand(argv: string[], ctx: SecretsCommandContext): Promise<string> {
  const [sub, ...rest] = argv;
  if (sub !== 'secrets') throw new UserError(`unsupported inline command: ${argv.join(' ')}`);
  const [action, ...args] = rest;
  if (action === 'fetch') return secretsFetch(args, ctx);
  if (action === 'extract') return secretsExtract(args, ctx);
  throw new UserError(`unsupported inline command: secrets ${action ?? ''} (only fetch and extract run inside a secrets file)`);
}
