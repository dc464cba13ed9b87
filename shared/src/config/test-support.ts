import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isUserError } from '../errors.js';
import { loadConfig, type LoadConfigOptions } from './load-config.js';
import type { ResolvedConfig } from './types.js';

/** A minimal valid deploy.yml; tests append or replace keys. */
export const BASE = `service: app
image: dhh/app
registry:
  username: user
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
`;

/** Runs `fn` in a fresh temp directory holding `files`, then removes it. */
export async function withProject<T>(files: Record<string, string>, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'drover-config-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Loads `deployYml` (plus extra files) with version `999` unless options say otherwise. */
export function load(deployYml: string, options: LoadConfigOptions & { files?: Record<string, string> } = {}): Promise<ResolvedConfig> {
  const { files, ...rest } = options;
  return withProject({ 'config/deploy.yml': deployYml, ...files }, (cwd) => loadConfig({ version: '999', env: {}, ...rest, cwd }));
}

/** The messages of the UserError a load fails with (its message first, then its details). */
export async function loadErrors(deployYml: string, options: LoadConfigOptions & { files?: Record<string, string> } = {}): Promise<string[]> {
  try {
    await load(deployYml, options);
  } catch (err) {
    if (isUserError(err)) return [err.message, ...err.details];
    throw err;
  }
  throw new Error('expected the configuration to be rejected');
}
