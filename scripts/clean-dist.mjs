// Removes compiled files from a package's dist/ whose TypeScript source in src/ is gone, so a deleted or
// renamed test never runs from its old compiled copy (tsc only ever adds files to dist/).
// Only tsc's own outputs are touched: a stem counts as tsc's when it has a declaration file (every source
// emits one, declaration: true) or a source map naming exactly that one source. Other build steps' files —
// controller's esbuild bundle in dist/drover/ — stay.
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const OUTPUT_SUFFIXES = ['.d.ts.map', '.js.map', '.d.ts', '.js'];

function walk(dir) {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return []; }
  return entries.flatMap((entry) => {
    const full = join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}

function stemOf(file) {
  const suffix = OUTPUT_SUFFIXES.find((s) => file.endsWith(s));
  return suffix ? file.slice(0, -suffix.length) : undefined;
}

/** tsc's map names exactly its one source; a bundler's names many (and may include .ts files via tsc's maps). */
function mapIsOnlyOf(mapFile, source) {
  try {
    const { sources } = JSON.parse(readFileSync(mapFile, 'utf8'));
    return Array.isArray(sources) && sources.length === 1 && resolve(dirname(mapFile), sources[0]) === source;
  } catch {
    return false;
  }
}

function emittedByTsc(stem, source) {
  return existsSync(`${stem}.d.ts`) || mapIsOnlyOf(`${stem}.js.map`, source) || mapIsOnlyOf(`${stem}.d.ts.map`, source);
}

function removeEmptyDirs(dir, keep) {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const entry of entries) if (entry.isDirectory()) removeEmptyDirs(join(dir, entry.name), keep);
  if (dir !== keep && readdirSync(dir).length === 0) rmdirSync(dir);
}

/** Deletes stale tsc outputs under pkgDir/dist; returns their paths relative to pkgDir. */
export function removeStaleOutputs(pkgDir, { srcDir = 'src', distDir = 'dist' } = {}) {
  const dist = resolve(pkgDir, distDir);
  const src = resolve(pkgDir, srcDir);
  const stems = new Set(walk(dist).map(stemOf).filter((stem) => stem !== undefined));
  const removed = [];
  for (const stem of stems) {
    const source = join(src, `${relative(dist, stem)}.ts`);
    if (existsSync(source) || !emittedByTsc(stem, source)) continue;
    for (const suffix of OUTPUT_SUFFIXES) {
      const file = `${stem}${suffix}`;
      if (!existsSync(file)) continue;
      rmSync(file, { force: true });
      removed.push(relative(pkgDir, file));
    }
  }
  if (removed.length > 0) removeEmptyDirs(dist, dist);
  return removed.sort();
}

