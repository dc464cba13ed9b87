#!/usr/bin/env node
// Bundles the `drover` command (dist/cli/main.js, compiled by tsc) into dist/drover/: our modules, the
// shared package, zod, yaml and jose become one CommonJS file (drover.cjs) instead of ~150 ES modules, and
// dist/drover/main.js (scripts/drover-launcher.cjs) runs it with V8's code cache (ARCHITECTURE.md, "A short
// process starts fast"). Packages with native code or a server's weight stay external; the modules that
// import them are only initialised when a command needs them. A command's first successful run writes its
// cache; the build runs `drover config`, whose cache the others start from, so `drover` starts warm after
// `npm run build`.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
// jose is an ES module only: bundled, it needs no require() of ES modules (Node 20.19+, 22.12+).
const BUNDLED = new Set(['@drover/shared', 'yaml', 'zod', 'jose']);
const { dependencies } = JSON.parse(readFileSync(`${pkgDir}/package.json`, 'utf8'));
const external = Object.keys(dependencies).filter((name) => !BUNDLED.has(name));
const outdir = `${pkgDir}/dist/drover`;
const bundle = `${outdir}/drover.cjs`;

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [`${pkgDir}/dist/cli/main.js`],
  outfile: bundle,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  // Without comments and indentation the launcher reads and V8 scans a quarter less source, and the bundle
  // is plain ASCII (esbuild escapes non-ASCII in strings; comments were the rest), which the launcher reads
  // as a one-byte string instead of decoding UTF-8 into a two-byte one. Names stay: errors stay readable.
  minifyWhitespace: true,
  charset: 'ascii',
  // The modules that find files relative to themselves (routes-install.ts) sit at dist/<dir>/ as the bundle does.
  define: { 'import.meta.url': '__droverBundleUrl' },
  banner: { js: "const __droverBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
// The launcher compiles the bundle as a function body, where a #! line is a syntax error.
const source = readFileSync(bundle, 'utf8').replace(/^#!.*\n/, '');
if (/[^\x00-\x7f]/.test(source)) throw new Error('drover.cjs must be ASCII: the launcher reads it as latin1');
writeFileSync(bundle, source);
const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
const template = readFileSync(`${pkgDir}/scripts/drover-launcher.cjs`, 'utf8');
if (template.split('@@BUNDLE_SHA256@@').length !== 2) throw new Error('drover-launcher.cjs must name @@BUNDLE_SHA256@@ once');
const launcher = template.replace('@@BUNDLE_SHA256@@', hash);
writeFileSync(`${outdir}/main.js`, launcher);
chmodSync(`${outdir}/main.js`, 0o755);
// The package is "type": "module"; these two files are CommonJS.
writeFileSync(`${outdir}/package.json`, '{ "type": "commonjs" }\n');
warmUp();

/** One run of what most commands do first (read and check a Kamal project: the config schemas, yaml), whose
 * compiled functions the cache keeps. */
function warmUp() {
  const project = mkdtempSync(join(tmpdir(), 'drover-warm-up-'));
  try {
    mkdirSync(join(project, 'config'));
    writeFileSync(join(project, 'config', 'deploy.yml'), [
      'service: app', 'image: app', 'servers:', '  web:', '    - web-1', 'registry:', '  server: registry.example:5000',
      '  username: u', '  password:', '    - KAMAL_REGISTRY_PASSWORD', 'builder:', '  arch: amd64', 'proxy:', '  app_port: 3000', '',
    ].join('\n'));
    mkdirSync(join(project, '.kamal'));
    writeFileSync(join(project, '.kamal', 'secrets'), 'KAMAL_REGISTRY_PASSWORD=warm-up\n');
    execFileSync(process.execPath, [`${outdir}/main.js`, 'config', '--json', '--version', 'warm-up'], { cwd: project, stdio: 'ignore' });
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}
