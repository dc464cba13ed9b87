import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clearEnvEntries, escapeEnvFileValue, parseDockerEnvFile, renderEnvFile } from './env-file.js';

test('env file: Kamal escaping (dump, then \\" and \\# back), non-ASCII kept, empty file is a newline', () => {
  assert.equal(renderEnvFile({}), '\n');
  assert.equal(renderEnvFile({ A: 'x', B: 'two words' }), 'A=x\nB=two words\n');
  assert.equal(escapeEnvFileValue('say "hi"'), 'say "hi"');
  assert.equal(escapeEnvFileValue('#{x} and #$y'), '#{x} and #$y');
  assert.equal(escapeEnvFileValue('line1\nline2\ttab\\back'), 'line1\\nline2\\ttab\\\\back');
  assert.equal(escapeEnvFileValue('\x01\x1b'), '\\x01\\e');
  assert.equal(escapeEnvFileValue('héllo "wörld"'), 'héllo "wörld"');
});

test('the docker CLI reads the file back literally; bare names come from its environment', () => {
  const text = '\uFEFF# comment\n\n  A=1=2\nB="quoted"\nC\nD\n';
  assert.deepEqual(parseDockerEnvFile(text, { C: 'from-env' }, 'f'), ['A=1=2', 'B="quoted"', 'C=from-env']);
  assert.throws(() => parseDockerEnvFile('BAD NAME=1\n', {}, 'x.env'), /x\.env:1: variable 'BAD NAME' contains whitespaces/);
  assert.throws(() => parseDockerEnvFile('=1\n', {}, 'x.env'), /x\.env:1: no variable name/);
  assert.deepEqual(parseDockerEnvFile(renderEnvFile({ S: 'a\nb' }), {}, 'f'), ['S=a\\nb']);
});

test('clear values: ${VAR} expanded from the host, $VAR literal, "" is a bare --env', () => {
  const hostEnv = { HOST_TOKEN: 'abcd', HOME: '/root', EMPTY_FROM_HOST: 'yes' };
  assert.deepEqual(clearEnvEntries({ T: '${HOST_TOKEN}-x', L: '$HOME', U: '${UNSET}', EMPTY_FROM_HOST: '', MISSING: '' }, hostEnv), [
    'T=abcd-x', 'L=$HOME', 'U=', 'EMPTY_FROM_HOST=yes',
  ]);
});
