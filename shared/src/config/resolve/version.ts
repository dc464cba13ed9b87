import { randomBytes } from 'node:crypto';
import { UserError } from '../../errors.js';

export interface GitState {
  /** `git rev-parse HEAD`, or null outside a repository. */
  sha: string | null;
  /** `git status --porcelain` printed something. */
  dirty: boolean;
}

/**
 * Kamal's version rule: `--version`, then `$VERSION`, then the git SHA. The SHA gets
 * `_uncommitted_<16 hex>` when the tree is dirty **and** the build uses the working tree
 * (`builder.context` set); a git-clone build only ever sees committed files.
 */
export function chooseVersion(args: {
  flag?: string;
  envVersion?: string;
  git: () => GitState;
  builderContext: string | undefined;
  cwd: string;
  random?: () => string;
}): string {
  if (args.flag) return args.flag;
  if (args.envVersion) return args.envVersion;
  const git = args.git();
  if (!git.sha) throw new UserError(`Can't use commit hash as version, no git repository found in ${args.cwd}`);
  if (git.dirty && args.builderContext !== undefined) {
    return `${git.sha}_uncommitted_${(args.random ?? (() => randomBytes(8).toString('hex')))()}`;
  }
  return git.sha;
}
