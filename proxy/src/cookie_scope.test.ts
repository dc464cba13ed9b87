import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scopeCookie } from './cookie_scope.js';

test('Set-Cookie paths are scoped to the prefix for first-party cookies only', () => {
  assert.equal(scopeCookie('a=1; Path=/', '/api', 'example.com'), 'a=1; Path=/api');
  assert.equal(scopeCookie('a=1; Path=/admin', '/api', 'example.com'), 'a=1; Path=/api/admin');
  assert.equal(scopeCookie('a=1', '/api', 'example.com'), 'a=1; Path=/api');
  assert.equal(scopeCookie('a=1; Domain=example.com; Path=/', '/api', 'example.com:8080'), 'a=1; Domain=example.com; Path=/api');
  assert.equal(scopeCookie('a=1; Domain=other.com; Path=/', '/api', 'example.com'), 'a=1; Domain=other.com; Path=/');
  assert.equal(scopeCookie('a=1; Domain=sub.example.com', '/api', 'example.com'), 'a=1; Domain=sub.example.com');
});
