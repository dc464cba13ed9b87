#!/usr/bin/env node
// Builds the self-contained agent artifacts (ARCHITECTURE.md, "Installing an agent"):
// dist/artifacts/drover-agent-linux-{x64,arm64} and their .sha256 files. Each one is the official Node
// binary of NODE_VERSION for that architecture with the agent injected as a single-executable application,
// so a host needs neither Node nor an image. Run after `tsc -p agent` (the npm script does both);
// `--arch x64` builds one architecture only (the rig tests need just this machine's).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The Node release every artifact embeds: a pinned 20.x, fetched from the npm registry's node-linux-<arch>. */
const NODE_VERSION = '20.20.2';
const ARCHES = ['x64', 'arm64'];
const { values: args } = parseArgs({ options: { arch: { type: 'string', multiple: true } } });
const targets = args.arch ?? ARCHES;
const unknown = targets.find((t) => !ARCHES.includes(t));
if (unknown) {
  console.error(`build-artifacts: --arch ${unknown}: not one of ${ARCHES.join(', ')}`);
  process.exit(64);
}
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const agentDir = fileURLToPath(new URL('..', import.meta.url));
const repoDir = join(agentDir, '..');
const workDir = join(agentDir, 'dist', 'sea');
const outDir = join(agentDir, 'dist', 'artifacts');
const cacheDir = join(repoDir, 'node_modules', '.cache', 'drover-node', NODE_VERSION);

// ssh2 (and its native cpu-features) is dockerode's transport for ssh:// Docker hosts, which the agent never
// uses: it talks to the local socket. A stub keeps the bundle free of native code.
const stubSsh2 = {
  name: 'stub-ssh2',
  setup(b) {
    b.onResolve({ filter: /^ssh2$/ }, () => ({ path: 'ssh2', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: "exports.Client = function () { throw new Error('ssh:// Docker hosts are not supported by drover-agent'); };",
      loader: 'js',
    }));
  },
};

async function bundleAgent() {
  const entry = join(agentDir, 'dist', 'cli', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build the agent first (tsc -p agent)`);
  const outfile = join(workDir, 'drover-agent.cjs');
  await build({
    entryPoints: [entry], outfile, bundle: true, format: 'cjs', platform: 'node', target: 'node20',
    plugins: [stubSsh2], logLevel: 'warning', legalComments: 'none',
  });
  return outfile;
}

/** The official node binary for `target`, from the npm registry (npm checks the tarball's integrity). */
function nodeBinary(target) {
  const binary = join(cacheDir, target, 'node');
  if (existsSync(binary)) return binary;
  const dir = join(cacheDir, target);
  mkdirSync(dir, { recursive: true });
  execFileSync('npm', ['pack', `node-linux-${target}@${NODE_VERSION}`, '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack node-linux-${target}@${NODE_VERSION} produced no tarball`);
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', dir, '--strip-components=2', 'package/bin/node']);
  rmSync(join(dir, tarball));
  return binary;
}

function seaBlob(bundle) {
  const blob = join(workDir, 'sea-prep.blob');
  const config = join(workDir, 'sea-config.json');
  // No snapshot and no code cache: those are specific to one architecture, and one blob serves both.
  writeFileSync(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }));
  // The blob's format belongs to the embedding release, so the pinned node of this machine's architecture writes it.
  const builder = ARCHES.includes(arch()) ? nodeBinary(arch()) : process.execPath;
  execFileSync(builder, ['--experimental-sea-config', config], { stdio: 'pipe' });
  return blob;
}

function inject(blob, target) {
  const out = join(outDir, `drover-agent-linux-${target}`);
  const partial = `${out}.partial`;
  copyFileSync(nodeBinary(target), partial);
  chmodSync(partial, 0o755);
  const postject = join(repoDir, 'node_modules', 'postject', 'dist', 'cli.js');
  // postject's ELF parser warns about note sections it does not know; the error it throws on failure carries stderr.
  execFileSync(process.execPath, [postject, partial, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { stdio: 'pipe' });
  renameSync(partial, out);
  const sum = createHash('sha256').update(readFileSync(out)).digest('hex');
  writeFileSync(`${out}.sha256`, `${sum}  drover-agent-linux-${target}\n`);
  return out;
}

rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
mkdirSync(outDir, { recursive: true });
const blob = seaBlob(await bundleAgent());
for (const target of targets) console.log(`built ${inject(blob, target)}`);
