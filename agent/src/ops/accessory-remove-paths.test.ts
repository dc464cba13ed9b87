import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { createLogger } from '../log.js';
import { removeAccessory } from './accessories.js';
import type { OperationsDeps } from './types.js';

/** A Docker engine where every container is already stopped and removed. */
const docker = {
  getContainer: () => ({ stop: async () => undefined, remove: async () => undefined }),
  getImage: () => ({ remove: async () => undefined }),
} as unknown as Dockerode;

function layout(t: { after(fn: () => void): void }) {
  const base = mkdtempSync(join(tmpdir(), 'drover-acc-remove-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const home = join(base, 'home');
  const outside = join(base, 'precious');
  mkdirSync(join(home, 'app-db', 'data'), { recursive: true });
  mkdirSync(join(home, 'other-app'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(home, 'app-db', 'data', 'db.bin'), 'x');
  writeFileSync(join(home, 'other-app', 'keep'), 'x');
  writeFileSync(join(outside, 'keep'), 'x');
  const deps: OperationsDeps = { docker, runDirectory: join(home, '.kamal'), host: 'h1', log: createLogger(() => undefined) };
  const remove = (removePaths: string[]) => removeAccessory(deps, {
    service: 'app', destination: null, performer: 'me', name: 'db', accessoryService: 'app-db', proxied: false, removeImage: null, removePaths,
  } as Parameters<typeof removeAccessory>[1]);
  return { home, outside, remove };
}

test('accessory.remove deletes only under the accessory\'s own directory', async (t) => {
  const { home, outside, remove } = layout(t);
  for (const bad of [outside, '/', `${home}/other-app`, 'app-db/../other-app', '../precious', '$PWD/other-app', '.']) {
    await assert.rejects(remove([bad]), /refusing to remove .*only the accessory's own directory .*app-db/, bad);
  }
  // One bad path refuses the whole list before anything is removed.
  await assert.rejects(remove(['app-db/data', outside]), /refusing/);
  assert.ok(existsSync(join(home, 'app-db', 'data', 'db.bin')));
  assert.ok(existsSync(join(outside, 'keep')));
  assert.ok(existsSync(join(home, 'other-app', 'keep')));

  await remove([`${home}/app-db/data`]);
  assert.equal(existsSync(join(home, 'app-db', 'data')), false);
  await remove(['app-db']);
  assert.equal(existsSync(join(home, 'app-db')), false);
});

test('a link inside the accessory directory that leads out of it is not followed', async (t) => {
  const { home, outside, remove } = layout(t);
  symlinkSync(outside, join(home, 'app-db', 'link'));
  await assert.rejects(remove(['app-db/link/keep']), /reached through a link out of/);
  assert.ok(existsSync(join(outside, 'keep')));
  // Removing the link itself (or the whole directory) removes the link, not its target.
  await remove(['app-db']);
  assert.ok(existsSync(join(outside, 'keep')));
});
