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
// One cache per command (the first argument, when it is a plain word): a cache holds the functions its command
// compiled, so `drover deploy` starts with the deploy's already compiled and `drover version` does not
// deserialise them. Anything else (`drover -d staging deploy`, `--help`) shares one more.
const word = process.argv[2];
const command = word !== undefined && /^[a-z][a-z-]{0,31}$/.test(word) ? word : '-';
const cacheOf = (name) => join(cacheDir, `@@BUNDLE_SHA256@@-${process.version}-${process.arch}-${name}.bin`);
const cacheFile = cacheOf(command);
// The build runs `drover config` once (scripts/bundle.mjs): reading and checking a project is what most commands
// do first, so a command without a cache of its own starts from that one's.
const commonCache = cacheOf('config');

function readCache(file) {
  try {
    return readFileSync(file);
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

const ownCache = readCache(cacheFile);
const cachedData = ownCache ?? readCache(commonCache);
// The bundle is ASCII (scripts/bundle.mjs checks): latin1 makes it a one-byte string with no UTF-8 decoding.
const script = new Script(wrap(readFileSync(bundle, 'latin1')), { filename: bundle, cachedData });
// Made at exit, once the command has run, so the functions it compiled are in the cache too; only after a
// success, so a mistyped command (which fails) leaves no cache behind.
if (ownCache === undefined || script.cachedDataRejected) process.once('exit', (code) => { if (code === 0) writeCache(script); });
const module_ = { exports: {} };
script.runInThisContext()(module_.exports, createRequire(bundle), module_, bundle, __dirname);
