import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from '@drover/shared/config/test-support';
import { checkLabelRoles, matchRoleLabels } from './fleets.js';
import { PROJECT_HEAD } from './test-fixtures.js';

const agent = (labels: Record<string, string>) => ({ labels });
const AGENTS = {
  'edge-2': agent({ region: 'eu', tier: 'edge' }),
  'edge-1': agent({ region: 'eu', tier: 'edge', gpu: 'yes' }),
  'us-1': agent({ region: 'us', tier: 'edge' }),
  core: agent({}),
};

test('a selector matches the agents carrying all of its labels, by name', () => {
  assert.deepEqual(matchRoleLabels({ web: { region: 'eu', tier: 'edge' }, gpu: { gpu: 'yes' }, none: { region: 'mars' } }, AGENTS), {
    web: ['edge-1', 'edge-2'], gpu: ['edge-1'], none: [],
  });
});

test('matched agents join the role after its named hosts; an emptied role is an error naming its selector', async () => {
  const yml = `${PROJECT_HEAD}servers:\n  web: [core]\n  jobs:\n    hosts: []\n    cmd: run\nx-drover:\n  roles:\n    jobs:\n      labels: region=eu,tier=edge\n`;
  const config = await load(yml, { version: 'v', labelHosts: matchRoleLabels({ jobs: { region: 'eu', tier: 'edge' } }, AGENTS) });
  assert.deepEqual(config.roles.map((r) => [r.name, r.hosts.map((h) => h.host)]), [['web', ['core']], ['jobs', ['edge-1', 'edge-2']]]);
  assert.deepEqual(config.hosts, ['core', 'edge-1', 'edge-2']);
  assert.doesNotThrow(() => checkLabelRoles(config));

  const empty = await load(yml, { version: 'v', labelHosts: { jobs: [] } });
  assert.throws(() => checkLabelRoles(empty), /^UserError: servers\/jobs: no enrolled agent has the labels region=eu,tier=edge \(`drover agents` shows each agent's labels\)$/);
  const allowed = await load(`${yml}allow_empty_roles: true\n`, { version: 'v', labelHosts: { jobs: [] } });
  assert.doesNotThrow(() => checkLabelRoles(allowed));
  // The primary role cannot be empty, allow_empty_roles or not.
  const primary = await load(`${PROJECT_HEAD}servers:\n  web: []\nallow_empty_roles: true\nx-drover:\n  roles:\n    web:\n      labels: { tier: edge }\n`, { version: 'v', labelHosts: { web: [] } });
  assert.throws(() => checkLabelRoles(primary), /servers\/web: no enrolled agent has the labels tier=edge/);
});
