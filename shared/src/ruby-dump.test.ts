import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rubyDump, rubyDumpBody } from './ruby-dump.js';

test('escapes like Ruby\'s String#dump', () => {
  assert.equal(rubyDump('say "hi" \\ #{x} #$y #@z #plain'), '"say \\"hi\\" \\\\ \\#{x} \\#$y \\#@z #plain"');
  assert.equal(rubyDumpBody('a\nb\tc\rd\fe\vf\bg\x07h\x1bi\x01j\x7f'), 'a\\nb\\tc\\rd\\fe\\vf\\bg\\ah\\ei\\x01j\\x7F');
  assert.equal(rubyDumpBody('héllo'), 'héllo');
});
