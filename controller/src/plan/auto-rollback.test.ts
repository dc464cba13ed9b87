import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from '@drover/shared/config/test-support';
import type { ResolvedConfig } from '@drover/shared/config';
import { planAutomaticRollback, type RollbackInput } from './auto-rollback.js';
import * as P from './op-params.js';
import { PROJECT_HEAD } from './test-fixtures.js';

const YML = `${PROJECT_HEAD}env:
  secret:
    - DATABASE_URL
servers:
  workers:
    hosts: [vm1, vm3]
    cmd: bin/jobs
  web:
    - vm1
    - vm2: [blue]
proxy:
  host: app.test
  app_port: 3000
`;
const ASSETS = { errorPages: null, accessoryFiles: {} };
const SECRETS: Record<string, Record<string, string>> = {
  v1: { KAMAL_REGISTRY_PASSWORD: 'reg-pw', DATABASE_URL: 'postgres://v1' },
  v0: { KAMAL_REGISTRY_PASSWORD: 'reg-pw', DATABASE_URL: 'postgres://v0' },
};

async function rollbackInput(): Promise<RollbackInput & { configs: { v1: ResolvedConfig; v0: ResolvedConfig } }> {
  const configs = { v1: await load(YML, { version: 'v1' }), v0: await load(YML, { version: 'v0' }) };
  return {
    configs,
    configAt: (v) => configs[v as 'v1' | 'v0'] ?? assert.fail(`unexpected version ${v}`),
    secretsFor: (v) => SECRETS[v]!,
    assets: ASSETS, performer: 'ops@acme.test',
  };
}

test('the switched containers boot their previous version: hosts in parallel, the primary role first on each', async () => {
  const input = await rollbackInput();
  const tasks = planAutomaticRollback(input, [
    { host: 'vm3', role: 'workers', previousVersion: 'v1' },
    { host: 'vm1', role: 'workers', previousVersion: 'v1' },
    { host: 'vm1', role: 'web', previousVersion: 'v1' },
    { host: 'vm2', role: 'web', previousVersion: 'v0' },
  ]);
  const v1 = input.configs.v1;
  const role = (c: ResolvedConfig, name: string) => c.roles.find((r) => r.name === name)!;
  assert.deepEqual(tasks, [
    { host: 'vm3', calls: [{ op: 'app.boot', params: P.appBootParams(v1, role(v1, 'workers'), 'vm3', SECRETS.v1!, ASSETS, 'ops@acme.test') }] },
    { host: 'vm1', calls: [
      { op: 'app.boot', params: P.appBootParams(v1, role(v1, 'web'), 'vm1', SECRETS.v1!, ASSETS, 'ops@acme.test') },
      { op: 'app.boot', params: P.appBootParams(v1, role(v1, 'workers'), 'vm1', SECRETS.v1!, ASSETS, 'ops@acme.test') },
    ] },
    { host: 'vm2', calls: [{ op: 'app.boot', params: P.appBootParams(input.configs.v0, role(input.configs.v0, 'web'), 'vm2', SECRETS.v0!, ASSETS, 'ops@acme.test') }] },
  ]);
  // Spelled out once: each boot is of the version that ran before, with that version's image and secrets.
  const vm2 = tasks[2]!.calls[0]!;
  assert.equal(vm2.op, 'app.boot');
  if (vm2.op !== 'app.boot') return;
  assert.deepEqual([vm2.params.version, vm2.params.image, vm2.params.env?.secrets, vm2.params.proxy?.appPort],
    ['v0', 'registry.test:5443/acme/app:v0', { DATABASE_URL: 'postgres://v0' }, 3000]);
});

test('nothing switched: nothing to call', async () => {
  assert.deepEqual(planAutomaticRollback(await rollbackInput(), []), []);
});

test('a role missing at the previous version is an error naming it', async () => {
  const input = await rollbackInput();
  assert.throws(() => planAutomaticRollback(input, [{ host: 'vm1', role: 'api', previousVersion: 'v1' }]), /servers\/api: no such role at version v1/);
});
