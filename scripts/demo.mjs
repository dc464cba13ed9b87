#!/usr/bin/env node
// `npm run demo`: install, build, then bring up the embedded default (see test/src/demo/main.ts).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureDependencies } from './ensure-deps.mjs';

const root = new URL('..', import.meta.url).pathname;
ensureDependencies(root);
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: root, stdio: 'inherit', env });
if (build.status !== 0) process.exit(build.status ?? 1);
const demo = spawnSync(process.execPath, [join(root, 'test', 'dist', 'demo', 'main.js'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env });
process.exit(demo.status ?? 1);
