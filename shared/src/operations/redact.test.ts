import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED_TEXT, secretRedactor, secretValuesOf } from './redact.js';

test('secretValuesOf finds env secrets, registry passwords and TLS keys at any depth, not clear values', () => {
  const params = {
    env: { clear: { RAILS_ENV: 'production' }, secrets: { A: 'alpha-secret', EMPTY: '' } },
    roleEnv: { secrets: { B: 'beta-secret' } },
    registry: { server: 'reg', username: 'me', password: 'pw-123' },
    proxy: { appPort: 80, tls: { certificatePem: 'CERT', privateKeyPem: 'KEY-PEM' } },
    files: [{ nested: { secrets: { C: 'gamma' } } }],
  };
  assert.deepEqual(secretValuesOf(params).sort(), ['KEY-PEM', 'alpha-secret', 'beta-secret', 'gamma', 'pw-123']);
  assert.deepEqual(secretValuesOf(null), []);
  assert.deepEqual(secretValuesOf({ secrets: 'not a record', password: 5 }), []);
});

test('secretRedactor removes every form a secret takes in text', () => {
  const r = secretRedactor(['abc-secret', 'abc', 'p@ss "q"\nline-two-of-it']);
  assert.equal(r('x abc-secret y abc z'), `x ${REDACTED_TEXT} y ${REDACTED_TEXT} z`, 'longest first');
  assert.equal(r(JSON.stringify({ v: 'p@ss "q"\nline-two-of-it' })), `{"v":"${REDACTED_TEXT}"}`, 'JSON-escaped');
  assert.equal(r('p@ss "q"\\nline-two-of-it'), REDACTED_TEXT, 'as the env file writes it');
  assert.equal(r('log: line-two-of-it'), `log: ${REDACTED_TEXT}`, 'one line of a multi-line secret');
  assert.equal(secretRedactor([])('abc'), 'abc');
});
