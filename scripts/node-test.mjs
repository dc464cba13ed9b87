#!/usr/bin/env node
// Runs one package's compiled tests (dist/**/*.test.js) with node's test runner.
// Prints the spec report and writes a count summary that scripts/test.mjs adds up.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { removeStaleOutputs } from './clean-dist.mjs';

const pkgDir = process.cwd();
const distDir = join(pkgDir, 'dist');

function findTests(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out = out.concat(findTests(full));
    else if (name.endsWith('.test.js')) out.push(relative(pkgDir, full));
  }
  return out.sort();
}

// tsc never deletes from dist/: a test whose source was deleted or renamed would still run from there.
const stale = removeStaleOutputs(pkgDir);
if (stale.length > 0) console.log(`removed ${stale.length} stale compiled file(s) from dist/ (source gone): ${stale.join(', ')}`);

const files = findTests(distDir);
// `--results NAME`: counts go to .test-results/NAME/ (one per extra Node version), beside the main run's.
const resultsFlag = process.argv.indexOf('--results');
const resultsName = resultsFlag > 0 ? process.argv[resultsFlag + 1] : undefined;
const resultsDir = join(pkgDir, '.test-results', ...(resultsName ? [resultsName] : []));
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });
if (files.length === 0) {
  console.log(`no test files in ${relative(process.cwd(), distDir) || 'dist'}`);
  writeFileSync(join(resultsDir, 'summary.json'), JSON.stringify({ passed: 0, failed: 0, skipped: 0, todo: 0 }) + '\n');
  process.exit(0);
}

// A package may ask for fewer files at once (`--concurrency N`): the rig's end-to-end files measure
// zero-downtime under load and need the machine's two cores to themselves. DROVER_TEST_CONCURRENCY overrides.
const flag = process.argv.indexOf('--concurrency');
const concurrency = process.env.DROVER_TEST_CONCURRENCY ?? (flag > 0 ? process.argv[flag + 1] : undefined) ?? '2';
const reporter = new URL('./summary-reporter.mjs', import.meta.url).pathname;
const args = [
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-timeout=600000',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${reporter}`, `--test-reporter-destination=${join(resultsDir, 'summary.json')}`,
  ...files,
];
const child = spawn(process.execPath, args, { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
