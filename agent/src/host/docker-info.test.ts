import { test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { dockerInfo, firstRegistryMirror } from './docker-info.js';

test('firstRegistryMirror: the first of RegistryConfig.Mirrors, null when none', () => {
  assert.equal(firstRegistryMirror({ RegistryConfig: { Mirrors: ['https://mirror.gcr.io/', 'https://other/'] } }), 'https://mirror.gcr.io/');
  assert.equal(firstRegistryMirror({ RegistryConfig: { Mirrors: [] } }), null);
  assert.equal(firstRegistryMirror({ RegistryConfig: { Mirrors: null } }), null);
  assert.equal(firstRegistryMirror({ RegistryConfig: {} }), null);
  assert.equal(firstRegistryMirror({}), null);
  assert.equal(firstRegistryMirror(null), null);
  assert.equal(firstRegistryMirror({ RegistryConfig: { Mirrors: [`https://${'m'.repeat(600)}/`] } }), null, 'too long for the inventory');
});

test('dockerInfo reports the mirror; a failing docker info only leaves it null', async () => {
  const version = async () => ({ Version: '27.0.0', ApiVersion: '1.46' });
  const withMirror = { version, info: async () => ({ RegistryConfig: { Mirrors: ['https://mirror.gcr.io/'] } }) } as unknown as Docker;
  assert.deepEqual(await dockerInfo(withMirror), { version: '27.0.0', apiVersion: '1.46', registryMirror: 'https://mirror.gcr.io/' });
  const infoFails = { version, info: async () => { throw new Error('nope'); } } as unknown as Docker;
  assert.deepEqual(await dockerInfo(infoFails), { version: '27.0.0', apiVersion: '1.46', registryMirror: null });
  const down = { version: async () => { throw new Error('down'); }, info: async () => ({}) } as unknown as Docker;
  assert.equal(await dockerInfo(down), null);
  assert.equal(await dockerInfo(null), null);
});
