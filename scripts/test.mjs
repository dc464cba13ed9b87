#!/usr/bin/env node
// `npm test`: build and test every workspace through turbo, run the packages' unit tests again under the
// other supported Node versions (scripts/extra-node.mjs), then print one line with the totals so CI can
// read the result.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDependencies } from './ensure-deps.mjs';
import { EXTRA_NODE_VERSIONS } from './extra-node.mjs';

const root = new URL('..', import.meta.url).pathname;
ensureDependencies(root);
const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
for (const dir of [...workspaces, 'scripts']) rmSync(join(root, dir, '.test-results'), { recursive: true, force: true });

/** Packages whose own unit tests also run under each extra Node (the rig tests in test/ need not). */
const UNIT_TESTED = ['shared', 'controller', 'agent', 'proxy'];
const turboArgs = process.argv.slice(2);
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
const turbo = spawnSync('npx', ['turbo', 'run', 'test', '--continue', '--concurrency=1', ...turboArgs], {
  cwd: root, stdio: 'inherit', env,
});

// The rig's shared operator side (dockerd + registry) outlives single test files; stop it now.
const rigCli = join(root, 'test', 'dist', 'rig', 'cli.js');
if (existsSync(rigCli)) spawnSync(process.execPath, [rigCli, 'down'], { cwd: root, stdio: 'inherit', env });

// The scripts' own tests (stale dist/ cleaning, extra Node versions) run like a package's, from scripts/.
mkdirSync(join(root, 'scripts', '.test-results'), { recursive: true });
const scripts = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(root, 'scripts', 'summary-reporter.mjs')}`, `--test-reporter-destination=${join(root, 'scripts', '.test-results', 'summary.json')}`,
  ...readdirSync(join(root, 'scripts')).filter((f) => f.endsWith('.test.mjs')).map((f) => join(root, 'scripts', f))], { cwd: root, stdio: 'inherit', env });

/** Starts preparing every version at once (each compile is one long single-threaded compiler run). */
function prepareAll(versions) {
  return Promise.all(versions.map((version) => new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'extra-node.mjs'), version], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => resolve(code === 0 ? JSON.parse(out) : { version, error: err.trim() || `exit ${code}` }));
  })));
}

const extraRuns = [];
const extraVersions = turboArgs.length > 0 ? [] : EXTRA_NODE_VERSIONS;
if (turboArgs.length > 0) console.log(`\nunit tests under other Node versions: not run (the run was narrowed: ${turboArgs.join(' ')})`);
if (extraVersions.length > 0) console.log(`\npreparing Node ${extraVersions.join(', ')} for the unit tests (cached after the first run)…`);
for (const prepared of await prepareAll(extraVersions)) {
  if (prepared.error) {
    console.error(`Node ${prepared.version}: cannot prepare: ${prepared.error}`);
    extraRuns.push({ version: prepared.version, status: 1 });
    continue;
  }
  for (const pkg of UNIT_TESTED) {
    console.log(`\n── ${pkg} under Node ${prepared.version} ──`);
    const run = spawnSync(prepared.nodeBin, [join(root, 'scripts', 'node-test.mjs'), '--results', `node-${prepared.version}`], {
      cwd: join(root, pkg), stdio: 'inherit', env: { ...env, ...prepared.env },
    });
    extraRuns.push({ version: prepared.version, pkg, status: run.status ?? 1 });
  }
}

const resultFiles = [
  ...workspaces.map((ws) => ({ label: ws, file: join(root, ws, '.test-results', 'summary.json') })),
  { label: 'scripts', file: join(root, 'scripts', '.test-results', 'summary.json') },
  ...extraRuns.filter((r) => r.pkg).map((r) => ({ label: `${r.pkg} (Node ${r.version})`, file: join(root, r.pkg, '.test-results', `node-${r.version}`, 'summary.json') })),
];
let passed = 0, failed = 0, skipped = 0, missing = [];
for (const { label, file } of resultFiles) {
  if (!existsSync(file)) { missing.push(label); continue; }
  const counts = JSON.parse(readFileSync(file, 'utf8'));
  passed += counts.passed; failed += counts.failed; skipped += counts.skipped + counts.todo;
}
if (missing.length) console.log(`no test results from: ${missing.join(', ')}`);
const ok = turbo.status === 0 && scripts.status === 0 && extraRuns.every((r) => r.status === 0) && failed === 0;
console.log(`\nNode ${[process.version.slice(1), ...extraVersions].join(', ')}${extraVersions.length ? ` (unit tests of ${UNIT_TESTED.join(', ')} under the last ${extraVersions.length})` : ''}`);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok ? 0 : 1);
