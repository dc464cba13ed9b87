import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KAMAL_DEFAULTS } from './kamal-defaults.js';
import { BASE, load } from './test-support.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

test("Kamal's defaults: 30 s deploy and drain, 7 s readiness delay, retain 5, unless-stopped, /up every 1 s within 5 s", () => {
  assert.deepEqual(KAMAL_DEFAULTS, {
    deployTimeoutSeconds: 30, drainTimeoutSeconds: 30, readinessDelaySeconds: 7, retainContainers: 5,
    restartPolicy: 'unless-stopped', healthcheck: { intervalSeconds: 1, timeoutSeconds: 5, path: '/up' },
  });
});

test('a config that sets none of them resolves to the defaults', async () => {
  const c = await load(BASE + 'servers: [1.1.1.1]\naccessories:\n  db:\n    image: mysql:8\n    host: 1.1.1.1\n');
  assert.deepEqual(c.timeouts, { deploy: 30, drain: 30, readinessDelay: 7, stop: null });
  assert.equal(c.retainContainers, KAMAL_DEFAULTS.retainContainers);
  assert.equal(c.roles[0]!.restartPolicy, KAMAL_DEFAULTS.restartPolicy);
  assert.equal(c.accessories[0]!.restartPolicy, KAMAL_DEFAULTS.restartPolicy);
});

/** Non-test TypeScript sources of the packages that apply Kamal's defaults. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [full] : [];
  });
}

test("no source but kamal-defaults.ts spells a default restart policy ('unless-stopped' as a value)", () => {
  const offenders = ['shared/src', 'controller/src', 'agent/src'].flatMap((dir) => sources(join(REPO, dir)))
    .filter((file) => !file.endsWith('kamal-defaults.ts'))
    .filter((file) => /['"`]unless-stopped['"`]/.test(readFileSync(file, 'utf8')))
    .map((file) => relative(REPO, file));
  assert.deepEqual(offenders, []);
});
