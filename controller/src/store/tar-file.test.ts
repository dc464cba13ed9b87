import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTarEntries, readTarEntry, TarWriter } from './tar-file.js';

test('an archive tar itself reads, and that reads back byte for byte; a damaged header is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-tar-'));
  try {
    const big = Buffer.alloc(1024 * 1024 + 3, 7);
    writeFileSync(join(dir, 'big.bin'), big);
    const file = join(dir, 'a.tar');
    const fd = openSync(file, 'w');
    const tar = new TarWriter(fd, 1_700_000_000);
    tar.addBuffer('manifest.json', Buffer.from('{}\n'));
    tar.addFile('sub/big.bin', join(dir, 'big.bin'));
    tar.finish();
    closeSync(fd);

    assert.equal(execFileSync('tar', ['-tf', file], { encoding: 'utf8' }), 'manifest.json\nsub/big.bin\n');
    const rfd = openSync(file, 'r');
    try {
      const entries = readTarEntries(rfd, file);
      assert.deepEqual(entries.map((e) => [e.name, e.size]), [['manifest.json', 3], ['sub/big.bin', big.length]]);
      assert.ok(readTarEntry(rfd, entries[1]!).equals(big));
    } finally {
      closeSync(rfd);
    }

    const damaged = readFileSync(file);
    damaged[0] = 'x'.charCodeAt(0);
    writeFileSync(file, damaged);
    const dfd = openSync(file, 'r');
    try {
      assert.throws(() => readTarEntries(dfd, 'a.tar'), /^Error: a\.tar: not a tar archive \(bad header at byte 0\)$/);
    } finally {
      closeSync(dfd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
