import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATION_CATALOG } from './catalog.js';

// What the host audit log records (performer, version) is checked where an operation's params are parsed.

const base = { service: 'sample-app', role: 'web', image: 'reg/sample-app:v1' };

test('performer must be one line without control characters', () => {
  const boot = OPERATION_CATALOG['app.boot'].params;
  assert.equal(boot.safeParse({ ...base, version: 'v1', performer: 'me@example.com' }).success, true);
  for (const performer of ['me\n[2024-01-01T00:00:00Z] [root] Booted', 'me\r', 'me\u001b[31m', 'me\u2028x']) {
    const r = boot.safeParse({ ...base, version: 'v1', performer });
    assert.equal(r.success, false, JSON.stringify(performer));
    assert.match(r.error!.issues[0]!.message, /one line without control characters/);
  }
});

test('image.pull and image.load versions are plain tags', () => {
  for (const op of ['image.pull', 'image.load'] as const) {
    const params = OPERATION_CATALOG[op].params;
    assert.equal(params.safeParse({ service: 'sample-app', image: 'reg/sample-app:v1', version: 'v1.2_3-rc' }).success, true, op);
    assert.equal(params.safeParse({ service: 'sample-app', image: 'reg/sample-app:v1', version: 'v1\nforged line' }).success, false, op);
  }
});
