import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcError, RpcErrorCode } from '@drover/shared/protocol';
import { OPERATION_FAILED } from '@drover/shared/operations/failure';
import { Metrics } from './metrics.js';

test('drover_rpcs_total keeps a fixed set of outcome labels whatever codes agents send', () => {
  const m = new Metrics();
  m.rpcSucceeded();
  m.rpcFailed(new RpcError(OPERATION_FAILED, 'x'));
  m.rpcFailed(new RpcError(RpcErrorCode.DeadlineExceeded, 'x'));
  m.rpcFailed(new Error('not an rpc error'));
  for (let i = 0; i < 1000; i++) m.rpcFailed(new RpcError(`code-${i}"}\n# fake`, 'x'));
  m.rpcFailed(new RpcError('ok', 'an agent cannot make a failure count as ok'));
  const lines = m.render({ agentsEnrolled: 0 }).split('\n').filter((l) => l.startsWith('drover_rpcs_total'));
  assert.deepEqual(lines, [
    'drover_rpcs_total{outcome="ok"} 1',
    'drover_rpcs_total{outcome="operation_failed"} 1',
    'drover_rpcs_total{outcome="deadline_exceeded"} 1',
    'drover_rpcs_total{outcome="error"} 1',
    'drover_rpcs_total{outcome="other"} 1001',
  ]);
});
