import { readFile } from 'node:fs/promises';
import { isAbsolute, join, parse as parsePath, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { deepMerge, isPlainHash } from './deep-merge.js';
import { renderErb } from './erb.js';
import { parseYaml11 } from './yaml.js';

export const DEFAULT_CONFIG_FILE = 'config/deploy.yml';

export interface LoadOptions {
  /** `-c FILE`; default `config/deploy.yml`, relative to `cwd`. */
  configFile?: string;
  /** `-d DEST`. */
  destination?: string;
  /** The project directory; default `process.cwd()`. */
  cwd?: string;
  /** The environment ERB and secrets see; default `process.env`. */
  env?: Record<string, string | undefined>;
}

export interface LoadedFiles {
  /** The merged document with root `x-*` keys removed. */
  raw: Record<string, unknown>;
  /** The root `x-drover` value, if any. */
  drover: unknown;
  /** Files read, as the user would write them (relative to cwd when given relative). */
  files: string[];
}

/** `config/deploy.yml` → `config/deploy.staging.yml` (Ruby's `Pathname#sub_ext`). */
export function destinationFile(configFile: string, destination: string): string {
  const { dir, name } = parsePath(configFile);
  return dir ? join(dir, `${name}.${destination}.yml`) : `${name}.${destination}.yml`;
}

async function readOne(shown: string, cwd: string, env: Record<string, string | undefined>): Promise<Record<string, unknown>> {
  const path = isAbsolute(shown) ? shown : resolve(cwd, shown);
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError(`Configuration file not found in ${shown}`);
    if (code === 'EISDIR') throw new UserError(`Configuration file ${shown} is a directory`);
    throw new UserError(`Cannot read configuration file ${shown}: ${code ?? (err as Error).message}`);
  }
  const doc = parseYaml11(renderErb(source, shown, env), shown);
  if (doc === null || doc === undefined) return {};
  if (!isPlainHash(doc)) throw new UserError(`${shown}: should be a hash of configuration keys`);
  return doc;
}

/** Reads, renders and merges the base and destination files like Kamal 2.12 does. */
export async function loadConfigFiles(options: LoadOptions = {}): Promise<LoadedFiles> {
  const cwd = options.cwd ?? process.cwd();
  const configFile = options.configFile ?? DEFAULT_CONFIG_FILE;
  // Kamal sets KAMAL_DESTINATION before rendering so ERB can read it.
  const env = { ...(options.env ?? process.env) };
  if (options.destination !== undefined) env.KAMAL_DESTINATION = options.destination;

  const files = [configFile];
  let merged: unknown = await readOne(configFile, cwd, env);
  if (options.destination !== undefined) {
    const destFile = destinationFile(configFile, options.destination);
    files.push(destFile);
    merged = deepMerge(merged, await readOne(destFile, cwd, env));
  }
  const all = merged as Record<string, unknown>;
  if (all.require_destination === true && options.destination === undefined) {
    throw new UserError('You must specify a destination');
  }
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    if (!key.startsWith('x-')) raw[key] = value;
  }
  return { raw, drover: all['x-drover'], files };
}
