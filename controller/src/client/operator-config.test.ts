import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  credentialsPath, loadCredentials, readCredentialsFile, removeContext, saveCredentials, selectContext, useContext,
} from './operator-config.js';

const FP_A = 'sha256:' + 'a'.repeat(64);
const FP_B = 'sha256:' + 'b'.repeat(64);
const A = { controller: 'https://a.example:7443', token: 'tok-a', fingerprint: FP_A };
const B = { controller: 'https://b.example:7443', token: 'tok-b', fingerprint: FP_B };
const C = { controller: 'http://127.0.0.1:8080', token: 'tok-c', fingerprint: null };

describe('operator-config: contexts', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const file = () => JSON.parse(readFileSync(credentialsPath(env), 'utf8'));
  const write = (v: unknown) => writeFileSync(credentialsPath(env), typeof v === 'string' ? v : JSON.stringify(v));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'drover-opcfg-'));
    env = { DROVER_CONFIG_DIR: dir };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('no file: no contexts, not logged in; the environment alone still works (CI)', () => {
    assert.deepEqual(readCredentialsFile(env), { current: null, contexts: {} });
    assert.throws(() => loadCredentials(env), /not logged in: run `drover login URL --token T`/);
    assert.deepEqual(loadCredentials({ ...env, DROVER_CONTROLLER: A.controller, DROVER_TOKEN: 't' }), { controller: A.controller, token: 't', fingerprint: null });
    assert.throws(() => loadCredentials({ ...env, DROVER_CONTEXT: 'x' }), /context "x" not found \(named by DROVER_CONTEXT\): no contexts saved; run `drover login URL --token T --context x`/);
  });

  test('an old single-login file is the context "default", and is rewritten in the new shape on the next save', () => {
    write(A);
    assert.deepEqual(readCredentialsFile(env), { current: 'default', contexts: { default: A } });
    assert.deepEqual(loadCredentials(env), A);
    assert.deepEqual(loadCredentials({ ...env, DROVER_CONTEXT: 'default' }), A);
    assert.throws(() => loadCredentials({ ...env, DROVER_CONTEXT: 'staging' }), { message: 'context "staging" not found (contexts: default); see `drover context list` (named by DROVER_CONTEXT)' });
    saveCredentials(B, env, { context: 'demo', use: false });
    assert.deepEqual(file(), { current: 'default', contexts: { default: A, demo: B } });
    assert.equal(statSync(credentialsPath(env)).mode & 0o777, 0o600);
  });

  test('saveCredentials: into "default" and current by default; other contexts untouched; --no-use keeps current', () => {
    assert.equal(saveCredentials(A, env), credentialsPath(env));
    assert.deepEqual(file(), { current: 'default', contexts: { default: A } });
    saveCredentials(B, env, { context: 'demo' });
    assert.deepEqual(file(), { current: 'demo', contexts: { default: A, demo: B } });
    saveCredentials(C, env, { context: 'local', use: false });
    assert.deepEqual(file(), { current: 'demo', contexts: { default: A, demo: B, local: C } });
    saveCredentials({ ...A, token: 'tok-a2' }, env, { use: false });
    assert.deepEqual(file().contexts.default, { ...A, token: 'tok-a2' });
    assert.deepEqual(file().contexts.demo, B);
    assert.equal(statSync(credentialsPath(env)).mode & 0o777, 0o600);
    rmSync(credentialsPath(env));
    saveCredentials(C, env, { context: 'solo', use: false });
    assert.equal(file().current, 'solo', 'a file\'s only context is current even with use: false');
    saveCredentials(A, env, { context: 'other', use: false });
    assert.equal(file().current, 'solo');
    assert.throws(() => saveCredentials(A, env, { context: '../x' }), /invalid context name "\.\.\/x"/);
    assert.throws(() => saveCredentials(A, env, { context: '__proto__' }), /invalid context name/);
  });

  test('selection: the --context option, then DROVER_CONTEXT, then the current context', () => {
    saveCredentials(A, env, { context: 'a' });
    saveCredentials(B, env, { context: 'b' });
    saveCredentials(C, env, { context: 'c', use: false });
    assert.deepEqual(loadCredentials(env), B);
    assert.deepEqual(loadCredentials({ ...env, DROVER_CONTEXT: 'a' }), A);
    assert.deepEqual(loadCredentials({ ...env, DROVER_CONTEXT: 'a' }, { context: 'c' }), C);
    assert.deepEqual(loadCredentials({ ...env, DROVER_CONTEXT: '' }, {}), B, 'an empty DROVER_CONTEXT is unset');
    assert.deepEqual(selectContext(readCredentialsFile(env), { ...env, DROVER_CONTEXT: 'a' }, { context: 'c' }), { name: 'c', source: '--context' });
    assert.throws(() => loadCredentials(env, { context: 'staging' }), { message: 'context "staging" not found (contexts: a, b, c); see `drover context list`' });
    assert.throws(() => loadCredentials(env, { context: 'constructor' }), /context "constructor" not found/);
  });

  test('DROVER_CONTROLLER / DROVER_TOKEN / DROVER_FINGERPRINT override the selected context; a pin only applies to its controller', () => {
    saveCredentials(A, env, { context: 'a' });
    assert.deepEqual(loadCredentials({ ...env, DROVER_TOKEN: 'ci' }), { ...A, token: 'ci' });
    assert.deepEqual(loadCredentials({ ...env, DROVER_FINGERPRINT: FP_B }), { ...A, fingerprint: FP_B });
    assert.deepEqual(loadCredentials({ ...env, DROVER_CONTROLLER: B.controller }), { controller: B.controller, token: A.token, fingerprint: null });
    assert.throws(() => loadCredentials({ ...env, DROVER_FINGERPRINT: 'nope' }), /DROVER_FINGERPRINT: expected sha256:/);
  });

  test('useContext / removeContext; removing the current one leaves none current unless one is left', () => {
    saveCredentials(A, env, { context: 'a' });
    saveCredentials(B, env, { context: 'b' });
    saveCredentials(C, env, { context: 'c' });
    assert.deepEqual(useContext('a', env), A);
    assert.equal(file().current, 'a');
    assert.throws(() => useContext('zz', env), { message: 'context "zz" not found (contexts: a, b, c); see `drover context list`' });
    assert.deepEqual(removeContext('b', env), { removed: 'b', wasCurrent: false, current: 'a', remaining: ['a', 'c'] });
    saveCredentials(B, env, { context: 'b', use: false });
    assert.deepEqual(removeContext('a', env), { removed: 'a', wasCurrent: true, current: null, remaining: ['b', 'c'] });
    assert.equal(file().current, null);
    assert.throws(() => loadCredentials(env), { message: 'no current context (contexts: b, c): choose one with `drover context use NAME`, or set DROVER_CONTEXT' });
    assert.deepEqual(loadCredentials({ ...env, DROVER_CONTEXT: 'c' }), C);
    assert.deepEqual(removeContext('c', env), { removed: 'c', wasCurrent: false, current: 'b', remaining: ['b'] });
    assert.deepEqual(removeContext('b', env), { removed: 'b', wasCurrent: true, current: null, remaining: [] });
    assert.deepEqual(file(), { current: null, contexts: {} });
    assert.throws(() => removeContext('b', env), /context "b" not found: no contexts saved/);
    assert.equal(statSync(credentialsPath(env)).mode & 0o777, 0o600);
  });

  test('a broken file is an error that names the file and the problem', () => {
    write('{');
    assert.throws(() => loadCredentials(env), /credentials\.json: not valid JSON; fix it, or remove it and run `drover login` again/);
    write([A]);
    assert.throws(() => readCredentialsFile(env), /expected a JSON object/);
    write({ ...A, token: '' });
    assert.throws(() => readCredentialsFile(env), /credentials\.json: token: /);
    write({ current: 'a', contexts: { a: { ...A, fingerprint: 'md5:1' } } });
    assert.throws(() => readCredentialsFile(env), /credentials\.json: contexts\.a\.fingerprint: /);
    write('{"current": null, "contexts": {"__proto__": {"controller": "https://x.example", "token": "t", "fingerprint": null}}}');
    assert.throws(() => readCredentialsFile(env), /credentials\.json: contexts\.__proto__: context names are/);
    write({ current: 'gone', contexts: { a: A } });
    assert.throws(() => loadCredentials(env), { message: 'context "gone" not found (contexts: a); see `drover context list` (the current context in the credentials file)' });
    assert.deepEqual(useContext('a', env), A, 'use repairs a dangling current context');
    assert.deepEqual(loadCredentials(env), A);
  });
});
