import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { lockHolderOf, performerOf } from './project.js';

test("performer and lock holder are git's user.email and user.name (the last value wins), else the local user and Unknown", async (t) => {
  const saved = { global: process.env.GIT_CONFIG_GLOBAL, nosystem: process.env.GIT_CONFIG_NOSYSTEM };
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  const root = mkdtempSync(join(tmpdir(), 'drover-git-user-'));
  t.after(() => {
    for (const [k, v] of [['GIT_CONFIG_GLOBAL', saved.global], ['GIT_CONFIG_NOSYSTEM', saved.nosystem]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(root, { recursive: true, force: true });
  });
  const configured = join(root, 'configured');
  const bare = join(root, 'bare');
  for (const dir of [configured, bare]) execFileSync('git', ['init', '-q', dir]);
  const git = (...args: string[]) => execFileSync('git', ['-C', configured, 'config', ...args]);
  git('user.name', 'Jane Q. Operator');
  git('user.email', 'old@example.com');
  git('--add', 'user.email', 'jane@example.com');
  assert.deepEqual([await performerOf(configured), await lockHolderOf(configured)], ['jane@example.com', 'Jane Q. Operator']);
  assert.deepEqual([await performerOf(bare), await lockHolderOf(bare)], [userInfo().username, 'Unknown']);
});
