#!/usr/bin/env node
// `npm test`: build and test every workspace through turbo, then print one line
// with the totals so CI can read the result.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDependencies } from './ensure-deps.mjs';

const root = new URL('..', import.meta.url).pathname;
ensureDependencies(root);
const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
for (const ws of workspaces) rmSync(join(root, ws, '.test-results'), { recursive: true, force: true });

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
const turbo = spawnSync('npx', ['turbo', 'run', 'test', '--continue', '--concurrency=1', ...process.argv.slice(2)], {
  cwd: root, stdio: 'inherit', env,
});

// The rig's shared operator side (dockerd + registry) outlives single test files; stop it now.
const rigCli = join(root, 'test', 'dist', 'rig', 'cli.js');
if (existsSync(rigCli)) spawnSync(process.execPath, [rigCli, 'down'], { cwd: root, stdio: 'inherit', env });


let passed = 0, failed = 0, skipped = 0, missing = [];
for (const ws of workspaces) {
  const file = join(root, ws, '.test-results', 'summary.json');
  if (!existsSync(file)) { missing.push(ws); continue; }
  const counts = JSON.parse(readFileSync(file, 'utf8'));
  passed += counts.passed; failed += counts.failed; skipped += counts.skipped + counts.todo;
}
if (missing.length) console.log(`no test results from: ${missing.join(', ')}`);
const status = turbo.status === 0 && failed === 0 ? 0 : 1;
console.log(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(status);
