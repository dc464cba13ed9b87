import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { bufferAll, MaximumSizeExceededError } from './buffer.js';

async function readAll(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString();
}

test('buffers round-trip within limits, in memory or spilled to disk', async () => {
  for (const [max, mem] of [[0, 0], [0, 5], [2048, 1024], [2048, 5]] as const) {
    const b = await bufferAll(Readable.from([Buffer.from('Hello, '), Buffer.from('World!')]), max, mem);
    assert.equal(b.spilled, mem < 13);
    assert.equal(await readAll(await b.reader()), 'Hello, World!');
    await b.dispose();
  }
});

test('exceeding the maximum fails; empty input reads back empty', async () => {
  await assert.rejects(bufferAll(Readable.from([Buffer.from('Hello, World!')]), 8, 5), MaximumSizeExceededError);
  const empty = await bufferAll(Readable.from([]), 0, 5);
  assert.equal(await readAll(await empty.reader()), '');
});
