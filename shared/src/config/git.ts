import { spawnSync } from 'node:child_process';
import type { GitState } from './resolve/version.js';

/** Reads the commit and cleanliness of the repository containing `cwd`. */
export function readGitState(cwd: string): GitState {
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' });
  if (head.error || head.status !== 0) return { sha: null, dirty: false };
  const status = spawnSync('git', ['status', '--porcelain'], { cwd, encoding: 'utf8' });
  return { sha: head.stdout.trim(), dirty: status.status === 0 && status.stdout.trim() !== '' };
}
