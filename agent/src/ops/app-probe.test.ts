import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeVerdict } from './app-probe.js';
import type { BootFacts } from './boot-diagnosis.js';

const NAME = 'app-web-v2';
const base: BootFacts = {
  state: 'running', exitCode: 0, oomKilled: false, health: null,
  probe: { kind: 'answered', status: 200, statusText: 'OK', ms: 3, body: 'OK' }, appPort: 3000, healthPath: '/up', deployTimeout: 0,
};

test('healthy: running, no failing HEALTHCHECK, the health path answers 2xx', () => {
  assert.deepEqual(probeVerdict(NAME, base), { container: NAME, healthy: true, state: 'running', http: { status: 200, ms: 3 }, problem: null });
  assert.deepEqual(probeVerdict(NAME, { ...base, probe: null, appPort: null }), { container: NAME, healthy: true, state: 'running', http: null, problem: null });
});

test('each way a running version goes wrong, in one line', () => {
  const cases: Array<[Partial<BootFacts>, string]> = [
    [{ state: 'gone', exitCode: null, probe: null }, 'app-web-v2 does not exist'],
    [{ state: 'exited', exitCode: 137, oomKilled: true, probe: null }, 'app-web-v2 is exited (exit code 137, killed for lack of memory)'],
    [{ state: 'restarting', exitCode: 1, probe: null }, 'app-web-v2 is restarting (exit code 1)'],
    [{ health: { status: 'unhealthy', failingStreak: 3, lastOutput: 'wget: server returned error:\n HTTP/1.1 500' } }, 'Docker reports app-web-v2 unhealthy: wget: server returned error: HTTP/1.1 500'],
    [{ probe: { kind: 'answered', status: 404, statusText: 'Not Found', ms: 2, body: '' } }, 'GET /up on port 3000 answered 404 Not Found'],
    [{ probe: { kind: 'refused' } }, 'nothing listens on port 3000 (connection refused)'],
    [{ probe: { kind: 'timeout', ms: 2000 } }, 'GET /up on port 3000 got no answer within 2000 ms'],
    [{ probe: { kind: 'unreachable', error: 'EHOSTUNREACH' } }, 'GET /up on port 3000 could not be tried: EHOSTUNREACH'],
  ];
  for (const [facts, problem] of cases) {
    const v = probeVerdict(NAME, { ...base, ...facts });
    assert.deepEqual([v.healthy, v.problem], [false, problem]);
  }
});
