import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { readStateFile, writeStateFile, recordToService, type SavedService } from './state_file.js';
import { defaultServiceOptions, defaultTargetOptions } from './options.js';
import { tempDir } from './test_support.js';

test('state round-trips: targets, options, stopped state and message, rollout split', () => {
  const dir = tempDir();
  try {
    const service: SavedService = {
      name: 'app-web', options: { ...defaultServiceOptions(), hosts: ['app.example.com'], pathPrefixes: ['/'] },
      targetOptions: { ...defaultTargetOptions(), bufferRequests: true }, activeTargets: ['abc:80'], activeReaders: [],
      rolloutTargets: ['def:80'], rolloutReaders: [], pauseState: 2, stopMessage: 'down', failAfterMs: 0,
      rollout: { percentage: 20, allowlist: ['first'] },
    };
    const path = join(dir.path, 'kamal-proxy.state');
    writeStateFile(path, [service]);
    assert.deepEqual(readStateFile(path), [service]);
    assert.deepEqual(readStateFile(join(dir.path, 'missing')), []);
    writeFileSync(path, '{not json');
    assert.throws(() => readStateFile(path), /is not valid JSON/);
    writeFileSync(path, '[{"name": 5}]');
    assert.throws(() => readStateFile(path), /\[0\]\.name: expected a string/);
  } finally {
    dir.remove();
  }
});

test('legacy top-level keys load; prefixes default to "/"', () => {
  const s = recordToService({ name: 'old', active_target: 'web:3000', hosts: ['a.com'] }, 'x');
  assert.deepEqual(s.activeTargets, ['web:3000']);
  assert.deepEqual(s.options.hosts, ['a.com']);
  assert.deepEqual(s.options.pathPrefixes, ['/']);
});
