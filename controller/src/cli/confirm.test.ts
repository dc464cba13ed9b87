import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { confirm } from './confirm.js';
import type { Invocation } from './framework/spec.js';
import { bufferIO } from './framework/test-io.js';

function invocation(answer: string | null, confirmed = false): Invocation {
  const io = bufferIO();
  if (answer !== null) io.stdin = Object.assign(Readable.from([Buffer.from(answer)]), { isTTY: true });
  return { path: ['remove'], args: [], options: { confirmed }, globals: {} as Invocation['globals'], io, help: '' };
}

test('-y skips the question; at a terminal the answer decides; without one the command is refused', async () => {
  await confirm(invocation(null, true), 'This will remove everything.');
  await confirm(invocation('y\n'), 'This will remove everything.');
  await confirm(invocation('YES\n'), 'This will remove everything.');
  await assert.rejects(confirm(invocation('n\n'), 'This will remove everything.'), /Cancelled: nothing was changed/);
  await assert.rejects(confirm(invocation('\n'), 'This will remove everything.'), /Cancelled/);
  await assert.rejects(confirm(invocation(null), 'This will remove everything.'), /This will remove everything\. Run again with -y \(--confirmed\) to go ahead\./);
});
