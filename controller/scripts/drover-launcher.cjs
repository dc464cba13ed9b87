#!/usr/bin/env node
'use strict';
// The `drover` command: runs the bundle beside it (drover.cjs, scripts/bundle.mjs) with V8's code cache,
// which spares every start the compilation of the bundle (ARCHITECTURE.md, "A short process starts fast").
// Node 20 has no compile cache of its own for this; vm.Script's cachedData is the same mechanism.
// The bundler writes it into dist/drover/main.js with the bundle's SHA-256 in the cache's name: V8 checks a
// cache against the source's length only, so that hash is what ties a cache to this exact bundle.
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const bundle = join(__dirname, 'drover.cjs');
const cacheDir = join(__dirname, '.compile-cache');
const cacheFile = join(cacheDir, `@@BUNDLE_SHA256@@-${process.version}-${process.arch}.bin`);

function readCache() {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

/** Best effort: a read-only install still runs, only without the cache. */
function writeCache(script) {
  try {
    mkdirSync(cacheDir, { recursive: true });
    const partial = `${cacheFile}.${process.pid}`;
    writeFileSync(partial, script.createCachedData());
    renameSync(partial, cacheFile);
  } catch {
    // not writable: nothing to do
  }
}

const cachedData = readCache();
// The bundle is ASCII (scripts/bundle.mjs checks): latin1 makes it a one-byte string with no UTF-8 decoding.
const script = new Script(wrap(readFileSync(bundle, 'latin1')), { filename: bundle, cachedData });
// Made at exit, once the command has run, so the functions it compiled are in the cache too.
if (cachedData === undefined || script.cachedDataRejected) process.once('exit', () => writeCache(script));
const module_ = { exports: {} };
script.runInThisContext()(module_.exports, createRequire(bundle), module_, bundle, __dirname);
