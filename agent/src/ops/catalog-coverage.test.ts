import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { OPERATION_CATALOG, OPERATION_NAMES, isOperationName } from '@drover/shared/operations';
import { operationHandlers } from '../rpc/ops-handlers.js';
import { createOperations, runOperation } from './index.js';

const quiet = { info() {}, warn() {}, error() {} };

/** Operations over a Docker client that points nowhere (nothing is called) and a throwaway run directory. */
function operations() {
  const runDirectory = mkdtempSync(join(tmpdir(), 'drover-catalog-'));
  const docker = new Docker({ socketPath: join(runDirectory, 'no-docker.sock') });
  const ops = createOperations({ docker, runDirectory, host: 'web-1', log: quiet, hostEnv: {} });
  return { ops, cleanup: () => rmSync(runDirectory, { recursive: true, force: true }) };
}

test('createOperations serves exactly the catalog, with its params schema, mutates and stream mode', (t) => {
  const { ops, cleanup } = operations();
  t.after(cleanup);
  assert.deepEqual(Object.keys(ops), [...OPERATION_NAMES]);
  for (const name of Object.keys(ops)) {
    assert.ok(isOperationName(name), name);
    const op = ops[name]!;
    const spec = OPERATION_CATALOG[name];
    assert.equal(op.params, spec.params, `${name}: params schema`);
    assert.equal(op.mutates, spec.mutates, `${name}: mutates`);
    assert.equal(op.stream, spec.stream, `${name}: stream`);
  }
});

test('the RPC handlers carry the catalog stream modes', (t) => {
  const { ops, cleanup } = operations();
  t.after(cleanup);
  const handlers = operationHandlers(ops);
  assert.deepEqual(Object.keys(handlers), [...OPERATION_NAMES]);
  for (const name of OPERATION_NAMES) assert.equal(handlers[name]!.stream, OPERATION_CATALOG[name].stream, name);
});

test('runOperation validates with the catalog params schema before anything runs', async (t) => {
  const { ops, cleanup } = operations();
  t.after(cleanup);
  const ctx = { signal: new AbortController().signal, operationId: 'op-1', emit: () => undefined };
  await assert.rejects(runOperation(ops, 'app.boot', { service: 'sample-app', role: 'web', version: 'v1' }, ctx), /^UserError: app\.boot: image: /);
  await assert.rejects(runOperation(ops, 'inventory', { bogus: true }, ctx), /inventory: /);
  await assert.rejects(runOperation(ops, 'agent.ping', {}, ctx), /unknown operation agent\.ping/);
});
