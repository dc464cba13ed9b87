import { readdir } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { readGitState } from './git.js';
import { loadConfigFiles, mergeRenderedFiles, type LoadOptions, type RenderedFile } from './load.js';
import { resolveConfig } from './resolve/config.js';
import { chooseVersion, type GitState } from './resolve/version.js';
import type { ResolvedConfig } from './types.js';
import { validateConfig, type Validated } from './validate.js';

export interface LoadConfigOptions extends LoadOptions {
  /** `--version`; otherwise `$VERSION`, otherwise the git SHA. */
  version?: string;
  /** Injected in tests; defaults to running git in `cwd`. */
  git?: (cwd: string) => GitState;
  /** Agents matched by `x-drover/roles/<role>/labels`, by role (the controller knows them). */
  labelHosts?: Record<string, string[]>;
}

async function hookFiles(cwd: string, raw: Record<string, unknown>): Promise<string[]> {
  const path = typeof raw.hooks_path === 'string' ? raw.hooks_path : '.kamal/hooks';
  try {
    return await readdir(isAbsolute(path) ? path : resolve(cwd, path));
  } catch {
    return [];
  }
}

/** Load and validate without resolving a version (for commands that only need settings). */
export async function loadValidatedConfig(options: LoadOptions = {}): Promise<Validated & { files: string[]; raw: Record<string, unknown> }> {
  const cwd = options.cwd ?? process.cwd();
  const loaded = await loadConfigFiles(options);
  const validated = validateConfig(loaded.raw, loaded.drover, {
    label: loaded.files[0] ?? 'config/deploy.yml',
    hookFiles: await hookFiles(cwd, loaded.raw),
  });
  return { ...validated, files: loaded.files, raw: loaded.raw };
}

/**
 * Reads deploy.yml (and deploy.<destination>.yml) like Kamal 2.12, validates it completely and
 * resolves everything the planner needs. Throws a UserError listing every problem.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const { config, drover, files, raw } = await loadValidatedConfig(options);
  const version = chooseVersion({
    flag: options.version,
    envVersion: env.VERSION,
    git: () => (options.git ?? readGitState)(cwd),
    builderContext: config.builder?.context,
    cwd,
  });
  return resolveConfig(config, { destination: options.destination ?? null, version, files, drover, raw, labelHosts: options.labelHosts });
}

/**
 * The controller's side of a deployment: validates and resolves files the operator rendered (ERB needs the
 * operator's environment), with the version the operator chose. Same checks and messages as `loadConfig`.
 */
export function loadRenderedConfig(args: { files: RenderedFile[]; destination: string | null; version: string; hookFiles: string[]; labelHosts?: Record<string, string[]> }): ResolvedConfig {
  const loaded = mergeRenderedFiles(args.files, args.destination ?? undefined);
  const { config, drover } = validateConfig(loaded.raw, loaded.drover, { label: loaded.files[0] ?? 'config/deploy.yml', hookFiles: args.hookFiles });
  return resolveConfig(config, { destination: args.destination, version: args.version, files: loaded.files, drover, raw: loaded.raw, labelHosts: args.labelHosts });
}
