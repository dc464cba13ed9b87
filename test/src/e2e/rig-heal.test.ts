import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Rig, run, waitFor } from '../rig/index.js';
import { sweepStale } from '../rig/slots.js';

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
  const daemonPids = (await run(['sh', '-c', `ip netns pids ${prefix}-crash-1`])).stdout.trim().split('\n').map(Number);
  assert.ok(daemonPids.length > 0, 'the crashed rig had daemons running');

  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));

  // What every Rig.start does first: sweep the rigs whose owner died.
  const swept = await sweepStale();
  assert.ok(swept.includes(slot), `slot ${slot} swept (swept: ${swept.join(', ')})`);
  const namespaces = (await run(['ip', 'netns', 'list'])).stdout;
  assert.ok(!namespaces.includes(`${prefix}-`), `no namespace of ${prefix} left:\n${namespaces}`);
  assert.ok(namespaces.includes('drvrigx-bystander'), 'a namespace the rig does not own is left alone');
  const links = (await run(['ip', '-o', 'link', 'show'])).stdout;
  assert.ok(!new RegExp(`: ${prefix}[wh]`).test(links), 'stale veths removed');
  assert.ok(!(await run(['ip', 'route'])).stdout.includes(`10.211.${slot}.0/24`), 'stale route removed with its veth');
  for (const pid of daemonPids) await waitFor(`pid ${pid} to exit`, async () => !existsSync(`/proc/${pid}`) || undefined, 5_000);
  assert.ok(!existsSync(`/var/lib/drover-rig/${prefix}`), 'stale data removed');

  const rig = await Rig.start({ hosts: ['after-crash'] });
  t.after(() => rig.stop());
  // The new rig works.
  assert.equal((await rig.host('after-crash').exec(['hostname'])).stdout.trim(), 'after-crash');
});
