#!/usr/bin/env node
// `npm run install-cli [-- --no-build] [-- NPM OPTIONS]`: puts this checkout's `drover` on the PATH.
// It builds the controller package (and shared), then `npm install -g ./controller`: npm links the
// folder, so the `drover` bin is this repository's dist/drover/main.js and its dependencies (better-sqlite3
// for `drover controller serve`) load from this checkout's node_modules. The spec is a path, never the
// name `drover`, so the unrelated npm package of that name is never fetched; a `drover` that comes
// earlier in PATH is reported. Other options (e.g. `--prefix DIR`) go to npm.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDependencies } from './ensure-deps.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const ourBin = join(root, 'controller', 'dist', 'drover', 'main.js');
const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const npmArgs = args.filter((a) => a !== '--no-build');

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`install-cli: ${cmd} ${cmdArgs.join(' ')} failed`);
    process.exit(r.status ?? 1);
  }
}

function globalBinDir() {
  const at = npmArgs.indexOf('--prefix');
  const prefix = at >= 0 ? npmArgs[at + 1] : npmArgs.find((a) => a.startsWith('--prefix='))?.slice('--prefix='.length);
  if (prefix) return join(prefix, 'bin');
  const r = spawnSync('npm', ['prefix', '-g'], { encoding: 'utf8' });
  return join(r.stdout.trim(), 'bin');
}

const realOrNull = (path) => { try { return realpathSync(path); } catch { return null; } };

if (build) {
  ensureDependencies(root);
  run('npx', ['turbo', 'run', 'build', '--filter=@drover/controller', '--output-logs=errors-only']);
}
if (!existsSync(ourBin)) {
  console.error(`install-cli: ${ourBin} is missing; run without --no-build`);
  process.exit(1);
}
const bin = join(globalBinDir(), 'drover');
if (existsSync(bin) && !lstatSync(bin).isSymbolicLink()) {
  console.error(`install-cli: ${bin} exists and is not an npm link (the demo's wrapper, or another program): remove it, then run this again`);
  process.exit(1);
}
run('npm', ['install', '--global', '--install-links=false', '--no-audit', '--no-fund', ...npmArgs, './controller']);

if (realOrNull(bin) !== realpathSync(ourBin)) {
  console.error(`install-cli: ${bin} is not this checkout's drover`);
  process.exit(1);
}
const version = spawnSync(bin, ['version'], { encoding: 'utf8' }).stdout.trim();
console.log(`drover ${version} installed: ${bin} -> ${ourBin}`);
// `npm run` puts node_modules/.bin first; the shell the user returns to does not.
const first = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !/node_modules[\\/]\.bin$/.test(dir)).map((dir) => join(dir, 'drover')).find((p) => existsSync(p));
if (first === undefined) console.log(`add ${globalBinDir()} to PATH to run it as \`drover\``);
else if (realOrNull(first) !== realpathSync(ourBin)) console.log(`warning: ${first} comes first in PATH and is another drover; put ${globalBinDir()} before it`);
