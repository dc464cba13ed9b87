import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The installer end to end, and shellcheck, run on the rig (test/src/e2e/installer.test.ts); these are the
// refusals that need no host.

const SCRIPT = fileURLToPath(new URL('../install.sh', import.meta.url));

function installSh(args: string[]): { status: number | null; err: string } {
  const r = spawnSync('sh', [SCRIPT, ...args], { encoding: 'utf8', input: '' });
  return { status: r.status, err: r.stderr };
}

test('install.sh refuses a token in argv and options that do not go together, before any check', () => {
  const token = installSh(['--token', 'a.b.c']);
  assert.equal(token.status, 1);
  assert.equal(token.err, 'drover-install: error: --token would put the token in the process list; pipe it with --token-stdin or set DROVER_JOIN_TOKEN\n');
  const purge = installSh(['--purge']);
  assert.equal(purge.status, 1);
  assert.match(purge.err, /error: --purge only goes with --uninstall/);
  const unknown = installSh(['--frobnicate']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.err, /error: unknown option: --frobnicate/);
});

test('a truncated download of install.sh runs nothing', () => {
  const text = readFileSync(SCRIPT, 'utf8');
  // Cut inside main's body: the shell defines functions and reaches no call.
  const cut = text.slice(0, text.indexOf('  check_controller\n'));
  const r = spawnSync('sh', ['-s', '--', '--uninstall'], { encoding: 'utf8', input: cut });
  assert.notEqual(r.status, 0, 'an unterminated function is a syntax error');
  assert.doesNotMatch(r.stderr, /drover-install:/, 'no step ran');
});
