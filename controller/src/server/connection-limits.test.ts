import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyBaseLogger } from 'fastify';
import { AddressRateLimiter } from './address-rate-limit.js';
import { FailureLog } from './failure-log.js';
import { normalizeAddress, parseTrustedAddresses } from './connection-limits.js';

test('a rate limit allows its burst, then refills at its rate and says when to retry', () => {
  let now = 0;
  const limiter = new AddressRateLimiter({ burst: 3, perMinute: 6 }, () => now);
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.take('10.0.0.1')), [true, true, true, false]);
  assert.equal(limiter.take('10.0.0.2'), true, 'addresses have their own buckets');
  assert.equal(limiter.retryAfterSeconds('10.0.0.1'), 10);
  now += 10_000;
  assert.equal(limiter.allows('10.0.0.1'), true);
  assert.equal(limiter.take('10.0.0.1'), true);
  assert.equal(limiter.take('10.0.0.1'), false);
});

test('refusals from one address are one line, then one summary per window', () => {
  const lines: string[] = [];
  const log = { warn: (_fields: object, msg: string) => void lines.push(msg) } as unknown as FastifyBaseLogger;
  const failures = new FailureLog(log);
  try {
    for (let i = 0; i < 50; i++) failures.record('203.0.113.9', 'enrollment', `bad join token ${i}`);
    failures.record('198.51.100.1', 'agent auth', 'signature does not match');
    assert.deepEqual(lines, [
      'enrollment refused: bad join token 0 (more from this address are summarised once a minute)',
      'agent auth refused: signature does not match (more from this address are summarised once a minute)',
    ]);
    failures.flush();
    assert.equal(lines[2], '49 more refused from 203.0.113.9 in the last minute (last: bad join token 49)');
    assert.equal(lines.length, 3, 'an address with nothing more to say gets no summary');
    failures.record('203.0.113.9', 'enrollment', 'again');
    assert.match(lines[3]!, /^enrollment refused: again/, 'a new window logs the first refusal again');
    failures.record('127.0.0.1', 'agent auth', 'one');
    failures.record('127.0.0.1', 'agent auth', 'two', false);
    assert.equal(lines[5], 'agent auth refused: two', 'unsummarised (trusted) refusals are logged each time');
  } finally {
    failures.close();
  }
});

test('trusted addresses: IPs and CIDR ranges, none, and a clear error', () => {
  assert.deepEqual(parseTrustedAddresses('10.0.0.0/8, 192.168.1.7,fd00::/8'), ['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
  assert.deepEqual(parseTrustedAddresses('none'), []);
  assert.throws(() => parseTrustedAddresses('10.0.0.0/33'), /^Error: trusted address "10\.0\.0\.0\/33": expected an IP address or CIDR range such as 10\.0\.0\.0\/8$/);
  assert.throws(() => parseTrustedAddresses('example.com'), /trusted address "example\.com"/);
  assert.equal(normalizeAddress('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(normalizeAddress('::1'), '::1');
});
