import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags, type FlagSpecs } from './flags.js';

const specs: FlagSpecs = {
  target: { type: 'strings', default: [], usage: '' },
  tls: { type: 'bool', default: false, usage: '' },
  redirect: { type: 'bool', default: true, usage: '' },
  timeout: { type: 'duration', default: 30_000, usage: '' },
  size: { type: 'int', default: 0, usage: '' },
};

test('Kamal-style flags: quoted values already unquoted by the shell, bare and explicit booleans, repeated slices', () => {
  const p = parseFlags(['app', '--target=a:80', '--target', 'b:80,c:80', '--tls', '--redirect=false', '--timeout=10s', '--size', '0x10'], specs);
  assert.deepEqual(p.args, ['app']);
  assert.deepEqual(p.values.target, ['a:80', 'b:80', 'c:80']);
  assert.equal(p.values.tls, true);
  assert.equal(p.values.redirect, false);
  assert.equal(p.values.timeout, 10_000);
  assert.equal(p.values.size, 16);
  assert.ok(p.changed.has('redirect'));
  assert.ok(!parseFlags([], specs).changed.has('tls'));
});

test('errors in pflag words', () => {
  assert.throws(() => parseFlags(['--nope'], specs), /^Error: unknown flag: --nope$/);
  assert.throws(() => parseFlags(['-x'], specs), /unknown shorthand flag: 'x' in -x/);
  assert.throws(() => parseFlags(['--timeout'], specs), /flag needs an argument: --timeout/);
  assert.throws(() => parseFlags(['--target="a'], specs), /invalid argument/);
});
