import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../log.js';
import { buildHandlers, testHandlersEnabled } from './handlers.js';

const quiet = createLogger(() => undefined);

test('the test.* methods are served only when a test enables them', () => {
  const production = buildHandlers({ log: quiet, docker: null });
  assert.deepEqual(production.methods().filter((m) => m.startsWith('test.')), []);
  assert.equal(production.lookup('test.generate'), undefined);
  assert.deepEqual(production.methods(), ['agent.info', 'agent.ping']);

  const underTest = buildHandlers({ log: quiet, docker: null }, undefined, { testHandlers: true });
  assert.deepEqual(underTest.methods().filter((m) => m.startsWith('test.')), ['test.echo', 'test.generate', 'test.payload', 'test.sleep']);
});

test('DROVER_AGENT_TEST_HANDLERS=1 and nothing else enables them', () => {
  assert.equal(testHandlersEnabled({ DROVER_AGENT_TEST_HANDLERS: '1' }), true);
  for (const value of [undefined, '', '0', 'true', 'yes']) assert.equal(testHandlersEnabled({ DROVER_AGENT_TEST_HANDLERS: value }), false, String(value));
});
