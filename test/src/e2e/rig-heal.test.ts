import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Rig, run, waitFor } from '../rig/index.js';

const fixture = fileURLToPath(new URL('./fixtures/rig-then-hang.js', import.meta.url));

test('a run after a crash removes what the crashed run left, and only that', async (t) => {
  // Something that is not the rig's, named alike: it must survive the sweep.
  await run(['ip', 'netns', 'add', 'drvrigx-bystander']);
  t.after(() => run(['ip', 'netns', 'del', 'drvrigx-bystander'], { check: false }));

  const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (b: Buffer) => resolve(b.toString().trim()));
    child.once('exit', (code) => reject(new Error(`fixture exited ${code}`)));
  });
  const slot = Number(line.split(' ')[0]);
  const prefix = `drvrig${slot}`;
  assert.ok((await run(['ip', 'netns', 'list'])).stdout.includes(`${prefix}-crash-1`));
  const dockerdPid = (await run(['sh', '-c', `ip netns pids ${prefix}-crash-1`])).stdout.trim().split('\n').map(Number);
  assert.ok(dockerdPid.length > 0, 'the crashed rig had daemons running');

  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));

  // The next rig sweeps the dead one while starting.
  const rig = await Rig.start({ hosts: ['after-crash'] });
  t.after(() => rig.stop());
  const namespaces = (await run(['ip', 'netns', 'list'])).stdout;
  assert.ok(!namespaces.includes(`${prefix}-crash-1`), 'stale host namespace removed');
  assert.ok(!namespaces.includes(`${prefix}-gw`) || rig.topology.slot === slot, 'stale gateway removed');
  assert.ok(namespaces.includes('drvrigx-bystander'), 'a namespace the rig does not own is left alone');
  for (const pid of dockerdPid) assert.ok(!existsSync(`/proc/${pid}`) || (await waitFor(`pid ${pid} to exit`, async () => !existsSync(`/proc/${pid}`) || undefined, 5_000)));
  const links = (await run(['ip', '-o', 'link', 'show'])).stdout;
  if (rig.topology.slot !== slot) assert.ok(!new RegExp(`${prefix}[wh]`).test(links), 'stale veths removed');
  // The new rig works.
  assert.equal((await rig.host('after-crash').exec(['hostname'])).stdout.trim(), 'after-crash');
});
