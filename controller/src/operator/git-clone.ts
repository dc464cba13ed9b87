import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UserError } from '@drover/shared/errors';

/**
 * Kamal's git-clone build (`builder.context` unset, inside a git repository): the committed HEAD is
 * cloned into `$TMPDIR/kamal-clones/<service>-<sha256(pwd)[0..12]>/<repo basename>/<pwd relative to
 * the repo root>` and built from there, so uncommitted changes never reach the image. An existing
 * clone is updated in place (set-url, fetch, reset --hard, clean -fdx, submodules, gc), then checked:
 * clean, and on the local HEAD; otherwise it is deleted and cloned again. The `git` CLI runs
 * directly (execFile, no shell).
 */

export interface GitRunner {
  (args: string[], options?: { cwd?: string }): Promise<{ stdout: string; stderr: string }>;
}

export class GitCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed${exitCode === null ? '' : ` (exit status ${exitCode})`}: ${(stderr.trim() || stdout.trim() || 'no output').split('\n').map((l) => l.trim()).filter(Boolean).slice(-5).join('; ')}`);
    this.name = 'GitCommandError';
  }
}

/** Runs `git` with `env`; rejects with GitCommandError on a non-zero exit, UserError when git is missing. */
export function gitRunner(env: NodeJS.ProcessEnv = process.env): GitRunner {
  return (args, options = {}) =>
    new Promise((resolvePromise, reject) => {
      execFile('git', args, { cwd: options.cwd, env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (!err) return resolvePromise({ stdout, stderr });
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !stdout && !stderr) {
          return reject(new UserError('git is not installed (needed to build from a git clone; set builder.context to build the working tree)'));
        }
        const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
        reject(new GitCommandError(args, code, stdout ?? '', stderr ?? ''));
      });
    });
}

/** Ruby's Dir.tmpdir: $TMPDIR, $TMP, $TEMP, then /tmp — the first that is an existing directory. */
export function kamalTmpdir(env: NodeJS.ProcessEnv = process.env): string {
  for (const candidate of [env.TMPDIR, env.TMP, env.TEMP, '/tmp']) {
    if (!candidate) continue;
    try {
      if (statSync(candidate).isDirectory()) return resolve(candidate);
    } catch {
      // not there: next candidate
    }
  }
  return '/tmp';
}

/** `<tmpdir>/kamal-clones/<service>-<first 13 hex digits of sha256(pwd)>` (Ruby's `[0..12]` is inclusive). */
export function cloneDirectory(service: string, pwd: string, tmpdir: string): string {
  const pwdSha = createHash('sha256').update(pwd).digest('hex').slice(0, 13);
  return join(tmpdir, 'kamal-clones', `${service}-${pwdSha}`);
}

/** `<clone dir>/<basename of the git root>/<pwd without the git root prefix>`. */
export function buildDirectory(cloneDir: string, gitRoot: string, pwd: string): string {
  const relative = pwd.startsWith(gitRoot) ? pwd.slice(gitRoot.length) : '';
  return join(cloneDir, basename(gitRoot), relative);
}

export interface GitState {
  /** `git rev-parse --show-toplevel` */
  root: string;
  /** `git rev-parse HEAD`; null in a repository without commits. */
  revision: string | null;
  /** `git status --porcelain`, stripped ('' when clean). */
  uncommittedChanges: string;
}

/** The repository around `dir`, or null when it is not inside one (Kamal's `git rev-parse` check). */
export async function readGitState(dir: string, git: GitRunner): Promise<GitState | null> {
  try {
    await git(['rev-parse'], { cwd: dir });
  } catch (err) {
    if (err instanceof GitCommandError) return null;
    throw err;
  }
  const root = (await git(['rev-parse', '--show-toplevel'], { cwd: dir })).stdout.trim();
  let revision: string | null;
  try {
    revision = (await git(['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
  } catch (err) {
    if (!(err instanceof GitCommandError)) throw err;
    revision = null; // no commit yet
  }
  const uncommittedChanges = (await git(['status', '--porcelain'], { cwd: dir })).stdout.trim();
  return { root, revision, uncommittedChanges };
}

export interface CloneOptions {
  service: string;
  /** The project directory (Kamal's pwd). */
  projectDir: string;
  git: GitRunner;
  env?: NodeJS.ProcessEnv;
  say(line: string): void;
}

export interface PreparedClone {
  state: GitState;
  cloneDir: string;
  buildDir: string;
}

/** The clone paths for `projectDir` (resolved through symlinks, as Ruby's Dir.pwd is). */
export function clonePaths(service: string, projectDir: string, gitRoot: string, env: NodeJS.ProcessEnv = process.env): { cloneDir: string; buildDir: string } {
  const pwd = realpathSync(projectDir);
  const cloneDir = cloneDirectory(service, pwd, kamalTmpdir(env));
  return { cloneDir, buildDir: buildDirectory(cloneDir, gitRoot, pwd) };
}

class CloneError extends Error {}

/** Clones (or refreshes) the committed HEAD and checks the result; mirrors Kamal::Cli::Build::Clone#prepare. */
export async function prepareClone(state: GitState, o: CloneOptions): Promise<PreparedClone> {
  const revision = state.revision;
  if (revision === null) throw new UserError(`Can't build from a git clone of ${state.root}: it has no commit yet (commit, or set builder.context to build the working tree)`);
  const { cloneDir, buildDir } = clonePaths(o.service, o.projectDir, state.root, o.env);
  const { git, say } = o;

  const cloneRepo = async () => {
    say(`Cloning repo into build directory \`${buildDir}\`...`);
    mkdirSync(cloneDir, { recursive: true });
    await git(['-C', cloneDir, 'clone', state.root, '--recurse-submodules']);
  };
  const reset = async () => {
    say(`Resetting local clone as \`${buildDir}\` already exists...`);
    try {
      await git(['-C', buildDir, 'remote', 'set-url', 'origin', state.root]);
      await git(['-C', buildDir, 'fetch', 'origin']);
      await git(['-C', buildDir, 'reset', '--hard', revision]);
      await git(['-C', buildDir, 'clean', '-fdx']);
      await git(['-C', buildDir, 'submodule', 'update', '--init']);
      await git(['-C', buildDir, 'gc', '--auto', '--quiet']);
    } catch (err) {
      if (err instanceof GitCommandError) throw new CloneError(`Failed to clone repo: ${err.message}`);
      throw err;
    }
  };
  const validate = async () => {
    try {
      const status = (await git(['-C', buildDir, 'status', '--porcelain'])).stdout.trim();
      if (status !== '') throw new CloneError(`Clone in ${buildDir} is dirty, ${status}`);
      const head = (await git(['-C', buildDir, 'rev-parse', 'HEAD'])).stdout.trim();
      if (head !== revision) {
        throw new CloneError(`Clone in ${buildDir} is not on the correct revision, expected \`${revision}\` but got \`${head}\``);
      }
    } catch (err) {
      if (err instanceof GitCommandError) throw new CloneError(`Failed to validate clone: ${err.message}`);
      throw err;
    }
  };

  try {
    try {
      await cloneRepo();
    } catch (err) {
      if (!(err instanceof GitCommandError)) throw err;
      if (/already exists and is not an empty directory/.test(err.stderr + err.message)) await reset();
      else throw new CloneError(`Failed to clone repo: ${err.message}`);
    }
    await validate();
  } catch (err) {
    if (!(err instanceof CloneError)) throw err;
    say(`Error preparing clone: ${err.message}, deleting and retrying...`);
    rmSync(cloneDir, { recursive: true, force: true });
    try {
      await cloneRepo();
      await validate();
    } catch (again) {
      if (again instanceof CloneError || again instanceof GitCommandError) throw new UserError(again.message.startsWith('git ') ? `Failed to clone repo: ${again.message}` : again.message);
      throw again;
    }
  }
  return { state, cloneDir, buildDir };
}
