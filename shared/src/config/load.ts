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

/** One config file after ERB: what the operator sends to the controller, which parses it itself. */
export interface RenderedFile {
  /** The path as the user wrote it (relative to the project when given relative). */
  name: string;
  /** YAML text, ERB already evaluated. */
  content: string;
}

async function renderOne(shown: string, cwd: string, env: Record<string, string | undefined>): Promise<RenderedFile> {
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
  return { name: shown, content: renderErb(source, shown, env) };
}

function parseRendered(file: RenderedFile): Record<string, unknown> {
  const doc = parseYaml11(file.content, file.name);
  if (doc === null || doc === undefined) return {};
  if (!isPlainHash(doc)) throw new UserError(`${file.name}: should be a hash of configuration keys`);
  return doc;
}

/** Reads and renders (ERB) the base file and, with a destination, `deploy.<destination>.yml`. */
export async function renderConfigFiles(options: LoadOptions = {}): Promise<RenderedFile[]> {
  const cwd = options.cwd ?? process.cwd();
  const configFile = options.configFile ?? DEFAULT_CONFIG_FILE;
  // Kamal sets KAMAL_DESTINATION before rendering so ERB can read it.
  const env = { ...(options.env ?? process.env) };
  if (options.destination !== undefined) env.KAMAL_DESTINATION = options.destination;
  const files = [await renderOne(configFile, cwd, env)];
  if (options.destination !== undefined) files.push(await renderOne(destinationFile(configFile, options.destination), cwd, env));
  return files;
}

/** Parses and deep-merges rendered files (base first) like Kamal 2.12; `x-*` root keys are set apart. */
export function mergeRenderedFiles(rendered: RenderedFile[], destination: string | undefined): LoadedFiles {
  let merged: unknown = {};
  rendered.forEach((file, i) => { merged = i === 0 ? parseRendered(file) : deepMerge(merged, parseRendered(file)); });
  const all = merged as Record<string, unknown>;
  if (all.require_destination === true && destination === undefined) {
    throw new UserError('You must specify a destination');
  }
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    if (!key.startsWith('x-')) raw[key] = value;
  }
  return { raw, drover: all['x-drover'], files: rendered.map((f) => f.name) };
}

/** Reads, renders and merges the base and destination files like Kamal 2.12 does. */
export async function loadConfigFiles(options: LoadOptions = {}): Promise<LoadedFiles> {
  return mergeRenderedFiles(await renderConfigFiles(options), options.destination);
}
