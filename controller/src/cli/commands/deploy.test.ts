import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '@drover/shared';
import { deployCommand } from './deploy.js';

// The deployment commands in-process, with their output captured: arguments, help, refusals.

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

async function exitOf(p: Promise<number>): Promise<{ code: number; message: string }> {
  try {
    return { code: await p, message: '' };
  } catch (e) {
    assert.ok(isUserError(e), String(e));
    return { code: e.exitCode, message: e.message };
  }
}

test('--help shows the command\'s options and Kamal\'s global options; -h is --hosts', async () => {
  const c = capture();
  assert.equal(await deployCommand('deploy', c.io).run(['--help']), 0);
  const help = c.out.join('\n');
  for (const flag of ['-P, --skip-push', '--detach', '-h, --hosts HOSTS', '-r, --roles ROLES', '-d, --destination DEST', '-H, --skip-hooks', '--lock-wait', '--json']) assert.ok(help.includes(flag), flag);
});

test('usage mistakes exit 64 with the usage; remove asks for -y', async () => {
  const run = (name: Parameters<typeof deployCommand>[0], argv: string[]) => exitOf(deployCommand(name, capture().io).run(argv));
  const unknown = await run('deploy', ['--frobnicate']);
  assert.equal(unknown.code, 64);
  assert.match(unknown.message, /Unknown option '--frobnicate'[\s\S]*Usage: drover deploy/);
  assert.equal((await run('rollback', [])).code, 64);
  assert.match((await run('rollback', [])).message, /expected exactly one VERSION/);
  assert.equal((await run('deploy', ['-v', '-q'])).code, 64);
  assert.equal((await run('deploy', ['extra'])).code, 64);
  assert.equal((await run('deploy', ['--lock-wait', '--lock-wait-timeout', 'soon'])).code, 64);
  const remove = await run('remove', []);
  assert.equal(remove.code, 1);
  assert.match(remove.message, /Run again with -y \(--confirmed\)/);
});

test('--json: a refusal before submitting still ends with a result object', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-deploy-cli-'));
  const cwd = process.cwd();
  const saved = { ...process.env };
  process.env.DROVER_CONTROLLER = 'https://127.0.0.1:9';
  process.env.DROVER_TOKEN = 'drv_op_unused';
  process.env.DROVER_CONFIG_DIR = join(dir, 'cfg');
  process.chdir(dir);
  try {
    const c = capture();
    assert.equal(await deployCommand('deploy', c.io).run(['--json', '-P']), 1);
    assert.deepEqual(JSON.parse(c.out.at(-1)!), { result: { status: 'failed', error: 'Configuration file not found in config/deploy.yml', details: [], exitCode: 1 } });
  } finally {
    process.chdir(cwd);
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
