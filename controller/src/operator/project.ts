// What the operator's machine reads from a Kamal project before a deployment: rendered config files,
// secrets, hook files, error pages and accessory files. The controller gets these, never the directory.
import { readdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '@drover/shared';
import { loadConfig, renderConfigFiles, renderErb, type RenderedFile, type ResolvedConfig } from '@drover/shared/config';
import { loadSecrets, requiredSecretNames } from '@drover/shared/secrets';
import { gitRunner } from './git-clone.js';

export interface ProjectOptions {
  cwd: string;
  configFile?: string;
  destination?: string;
  version?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Project {
  dir: string;
  config: ResolvedConfig;
  files: RenderedFile[];
  /** Values of the secrets the config reads (all checked present). */
  secrets: Record<string, string>;
  /** Every secret from the secrets files: hooks with secrets get all of them, as in Kamal. */
  allSecrets: Record<string, string>;
  errorPages: Record<string, string> | null;
  accessoryFiles: Record<string, string>;
}

/** `git config user.email` and `user.name` (the last value of each wins, as git answers), one git run per directory. */
const gitUsers = new Map<string, Promise<{ email: string | null; name: string | null }>>();
function gitUser(cwd: string): Promise<{ email: string | null; name: string | null }> {
  let user = gitUsers.get(cwd);
  if (!user) {
    // Asynchronous: a deploy starts it first and reads its project meanwhile. No git, no user set: no lines.
    user = gitRunner()(['config', '--get-regexp', '^user\\.(email|name)$'], { cwd }).then(({ stdout }) => stdout.split('\n'), () => []).then((lines) => {
      const last = (key: string) => lines.filter((l) => l.startsWith(`${key} `)).map((l) => l.slice(key.length + 1).trim()).filter(Boolean).at(-1) ?? null;
      return { email: last('user.email'), name: last('user.name') };
    });
    gitUsers.set(cwd, user);
  }
  return user;
}

/** Kamal's KAMAL_PERFORMER: `git config user.email`, else the local user. */
export async function performerOf(cwd: string): Promise<string> {
  return (await gitUser(cwd)).email ?? userInfo().username;
}

/** Kamal's `Locked by:`: `git config user.name`, else `Unknown`. */
export async function lockHolderOf(cwd: string): Promise<string> {
  return (await gitUser(cwd)).name ?? 'Unknown';
}

const inProject = (dir: string, path: string) => (isAbsolute(path) ? path : resolve(dir, path));

/** `error_pages_path`: the `4xx.html`/`5xx.html` files Kamal uploads for kamal-proxy. */
function readErrorPages(dir: string, config: ResolvedConfig): Record<string, string> | null {
  if (!config.errorPagesPath) return null;
  const path = inProject(dir, config.errorPagesPath);
  let names: string[];
  try {
    names = readdirSync(path);
  } catch {
    throw new UserError(`error_pages_path: ${config.errorPagesPath} is not a readable directory`);
  }
  return Object.fromEntries(names.filter((n) => /^[45]\d\d\.html$/.test(n)).sort().map((n) => [n, readFileSync(join(path, n), 'utf8')]));
}

/** Accessory `files:` as Kamal uploads them: `.erb` files rendered with the operator's environment. */
function readAccessoryFiles(dir: string, config: ResolvedConfig, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const acc of config.accessories) {
    for (const f of acc.files) {
      let text: string;
      try {
        text = readFileSync(inProject(dir, f.local), 'utf8');
      } catch {
        throw new UserError(`accessories/${acc.name}/files: ${f.local} cannot be read`);
      }
      out[f.local] = f.local.endsWith('.erb') ? renderErb(text, f.local, env) : text;
    }
  }
  return out;
}

/** Loads everything a deployment of this project needs from the operator's machine. */
export async function loadProject(o: ProjectOptions): Promise<Project> {
  const env = o.env ?? process.env;
  const load = { cwd: o.cwd, configFile: o.configFile, destination: o.destination, env };
  const config = await loadConfig({ ...load, version: o.version });
  const files = await renderConfigFiles(load);
  const store = await loadSecrets({ cwd: o.cwd, secretsPath: config.secretsPath, destination: o.destination, env });
  const needed = requiredSecretNames(config);
  store.requireAll(needed);
  return {
    dir: o.cwd, config, files,
    secrets: Object.fromEntries(needed.map((n) => [n, store.get(n)])),
    allSecrets: Object.fromEntries(store.entries()),
    errorPages: readErrorPages(o.cwd, config),
    accessoryFiles: readAccessoryFiles(o.cwd, config, env),
  };
}
