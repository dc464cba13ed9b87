#!/usr/bin/env node
// Bundles the `drover` command (dist/cli/main.js, compiled by tsc) into dist/drover/: our modules, the
// shared package, zod and yaml become a few files instead of ~150 ES modules, which halves the CLI's start
// (ARCHITECTURE.md, "The drover command"). Packages with native code or a server's weight stay external
// and load from node_modules only when a command needs them; dynamic imports become lazy chunks.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const BUNDLED = new Set(['@drover/shared', 'yaml', 'zod']);
const { dependencies } = JSON.parse(readFileSync(`${pkgDir}/package.json`, 'utf8'));
const external = Object.keys(dependencies).filter((name) => !BUNDLED.has(name));
const outdir = `${pkgDir}/dist/drover`;

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: `${pkgDir}/dist/cli/main.js` },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // Bundled CommonJS (yaml) may require node's own modules; ES modules have no `require` of their own.
  banner: { js: "import { createRequire as __droverRequire } from 'node:module'; const require = __droverRequire(import.meta.url);" },
  logLevel: 'warning',
});
