import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZodType } from 'zod';
import { Inventory } from '../protocol/messages.js';
import { isOperationName, OPERATION_CATALOG, OPERATION_NAMES, parseOperationResult, type OperationName } from './catalog.js';

test('every operation has params and result schemas, a mutates flag and a stream mode', () => {
  assert.deepEqual([...OPERATION_NAMES].sort(), Object.keys(OPERATION_CATALOG).sort());
  assert.equal(new Set(OPERATION_NAMES).size, OPERATION_NAMES.length);
  assert.ok(OPERATION_NAMES.length >= 35);
  for (const name of OPERATION_NAMES) {
    const spec = OPERATION_CATALOG[name];
    assert.ok(spec.params instanceof ZodType, `${name}: params schema`);
    assert.ok(spec.result instanceof ZodType, `${name}: result schema`);
    assert.equal(typeof spec.mutates, 'boolean', `${name}: mutates`);
    assert.ok(['none', 'optional', 'required'].includes(spec.stream), `${name}: stream`);
  }
});

test('mutating and streaming flags of known operations', () => {
  const expect: Array<[OperationName, boolean, string]> = [
    ['app.boot', true, 'optional'],
    ['image.pull', true, 'optional'],
    ['proxy.boot', true, 'optional'],
    ['accessory.reboot', true, 'optional'],
    ['app.stop', true, 'none'],
    ['prune.images', true, 'none'],
    ['prune.all', true, 'none'],
    ['containers.logs', false, 'required'],
    ['app.exec', false, 'required'],
    ['accessory.exec', false, 'required'],
    ['inventory', false, 'none'],
    ['registry.login', false, 'none'],
    ['audit.read', false, 'none'],
    ['image.load', true, 'required'],
  ];
  for (const [name, mutates, stream] of expect) {
    assert.equal(OPERATION_CATALOG[name].mutates, mutates, `${name} mutates`);
    assert.equal(OPERATION_CATALOG[name].stream, stream, `${name} stream`);
  }
  const streaming = OPERATION_NAMES.filter((n) => OPERATION_CATALOG[n].stream === 'required').sort();
  assert.deepEqual(streaming, ['accessory.exec', 'accessory.logs', 'app.exec', 'containers.logs', 'image.load', 'proxy.logs']);
});

test('isOperationName knows the catalog and nothing else', () => {
  assert.equal(isOperationName('app.boot'), true);
  assert.equal(isOperationName('inventory'), true);
  assert.equal(isOperationName('agent.ping'), false);
  assert.equal(isOperationName('toString'), false);
  assert.equal(isOperationName('__proto__'), false);
});

test('params schemas apply their defaults', () => {
  const p = OPERATION_CATALOG['app.boot'].params.parse({ service: 'sample-app', role: 'web', version: 'v1', image: 'reg/sample-app:v1' });
  assert.equal(p.destination, null);
  assert.equal(p.performer, 'drover');
  assert.equal(p.deployTimeout, 30);
  assert.deepEqual(OPERATION_CATALOG.inventory.params.parse({}), {});
});

const bootResult = {
  container: { id: 'f'.repeat(64), name: 'sample-app-web-staging-v2' },
  renamed: null,
  oldVersion: 'v1',
  stopped: ['sample-app-web-staging-v1'],
  status: 'healthy',
  hostname: 'web-1-3f9a2c',
  messages: ['Deploying sample-app-web-staging to kamal-proxy (target ffffffffffff:80)...'],
};

test('parseOperationResult accepts a realistic app.boot result', () => {
  const r = parseOperationResult('app.boot', bootResult);
  assert.deepEqual(r, bootResult);
  assert.equal(r.container.name, 'sample-app-web-staging-v2');
});

test('parseOperationResult rejects a malformed result, naming the operation and the bad path', () => {
  assert.throws(
    () => parseOperationResult('app.boot', { ...bootResult, container: { id: 42, name: 'x' } }),
    (e: unknown) => e instanceof Error && /app\.boot/.test(e.message) && /container\.id/.test(e.message),
  );
  assert.throws(() => parseOperationResult('app.boot', null), /app\.boot/);
  assert.throws(() => parseOperationResult('proxy.boot', { container: { id: 'x', name: 'other' }, image: 'i', action: 'created', messages: [] }), /proxy\.boot: .*container\.name/);
});

test('parseOperationResult: results of the list and change operations', () => {
  assert.deepEqual(parseOperationResult('app.stop', { containers: ['a'], messages: [] }), { containers: ['a'], messages: [] });
  assert.deepEqual(parseOperationResult('images.list', { images: [{ id: 'sha256:1', tags: ['app:v1'], created: 1700000000, size: 1234 }] }).images[0]?.tags, ['app:v1']);
  const container = { id: 'c1', name: 'app-web-v1', kind: 'app', service: 'app', role: 'web', destination: null, version: 'v1', image: 'app:v1', state: 'running', health: 'none', createdAt: 1700000000 };
  assert.equal(parseOperationResult('containers.list', { containers: [container] }).containers.length, 1);
  assert.equal(parseOperationResult('inventory', { host: 'web-1', collectedAt: '2024-01-01T00:00:00.000Z', containers: [container], proxy: null }).host, 'web-1');
  assert.throws(() => parseOperationResult('prune.images', { removed: 'x' }), /prune\.images: .*removed/);
});

test('the inventory message carries the Docker registry mirror (optional, nullable)', () => {
  const base = { t: 'inventory', hostname: 'web-1', agentVersion: '0.1.0', os: 'linux', arch: 'x64', containers: [] };
  assert.equal(Inventory.parse({ ...base, docker: { version: '27.0.0', apiVersion: '1.46', registryMirror: 'https://mirror.gcr.io/' } }).docker?.registryMirror, 'https://mirror.gcr.io/');
  assert.equal(Inventory.parse({ ...base, docker: { version: '27.0.0', apiVersion: '1.46', registryMirror: null } }).docker?.registryMirror, null);
  assert.equal(Inventory.parse({ ...base, docker: { version: '27.0.0', apiVersion: '1.46' } }).docker?.registryMirror, undefined);
  assert.equal(Inventory.safeParse({ ...base, docker: { version: '27.0.0', apiVersion: '1.46', registryMirror: 'x'.repeat(513) } }).success, false);
  assert.equal(Inventory.safeParse({ ...base, docker: { version: '27.0.0', apiVersion: '1.46', other: 1 } }).success, false, 'still strict');
});
