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

// Modules of dockerode's that the agent never runs, left out of the bundle: ssh2 (with its native cpu-features)
// is the transport for ssh:// Docker hosts, and the agent talks to the local socket; gRPC and protobufjs serve
// BuildKit sessions and build traces, and the agent builds nothing. dockerode loads the gRPC ones eagerly,
// which cost ≈ 20 MB of an idle agent's memory (BENCHMARKS.md, "Agent at idle").
const UNUSED_MODULES = /^(ssh2|@grpc\/grpc-js|@grpc\/proto-loader|protobufjs)$/;
const stubUnused = {
  name: 'stub-unused',
  setup(b) {
    b.onResolve({ filter: UNUSED_MODULES }, (a) => ({ path: a.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, (a) => ({
      // Any export is a function that throws when called: loading stays harmless (`require('ssh2').Client`).
      contents: `const refuse = () => { throw new Error(${JSON.stringify(`drover-agent does not include ${a.path}: ssh:// Docker hosts and image builds are not the agent's work`)}); };
module.exports = new Proxy({}, { get: (_, key) => (typeof key === 'symbol' || key === '__esModule' || key === 'then' ? undefined : refuse) });`,
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
    plugins: [stubUnused], logLevel: 'warning', legalComments: 'none', charset: 'ascii', minifyWhitespace: true, minifySyntax: true,
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
