import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from '@drover/shared/config/test-support';
import { accessoryExecParams, appExecParams } from './read-params.js';
import { PROJECT_HEAD } from './test-fixtures.js';

// Exec params, exactly: what the agent needs to run Kamal's `app exec` / `accessory exec` on one host.

const YML = `${PROJECT_HEAD}env:
  clear:
    MODE: production
servers:
  web: [vm1]
accessories:
  db:
    image: postgres:16
    host: db1
    env:
      clear:
        POSTGRES_DB: app
    volumes:
      - /var/lib/db:/var/lib/postgresql/data
    files:
      - config/init.sql:/docker-entrypoint-initdb.d/init.sql
`;
const SECRETS = { KAMAL_REGISTRY_PASSWORD: 'reg-pw' };

test('app exec in a new container: the role\'s env and options, the registry to pull from, Kamal\'s audit line', async () => {
  const config = await load(YML, { version: 'v1' });
  const role = config.roles.find((r) => r.name === 'web')!;
  const p = appExecParams(config, role, 'vm1', SECRETS, 'ci', { command: ['bin/rails', 'db:migrate'], reuse: false, interactive: false, env: { K: 'v' }, detach: false });
  assert.deepEqual(p, {
    service: 'app', destination: null, performer: 'ci', role: 'web', version: 'v1', image: 'registry.test:5443/acme/app:v1',
    command: ['bin/rails', 'db:migrate'], reuse: false, interactive: false, tty: false, env: { K: 'v' },
    roleEnv: { clear: { MODE: 'production' }, secrets: {} }, host: 'vm1', logging: { driver: null, options: { 'max-size': '10m' } }, volumes: [], options: {}, detach: false,
    registry: { server: 'registry.test:5443', username: 'deployer', password: 'reg-pw' },
    audit: "Executed cmd 'bin/rails db:migrate' on app version v1",
  });
});

test('accessory exec: a new container with the accessory\'s image, env, volumes and files (or --reuse), and Kamal\'s audit line', async () => {
  const config = await load(YML, { version: 'v1', files: { 'config/init.sql': 'select 1;' } });
  const db = config.accessories.find((a) => a.name === 'db')!;
  const fresh = accessoryExecParams(config, db, SECRETS, 'ci', { command: ['psql', '-c', 'select 1'], interactive: true, reuse: false, host: 'db1' });
  assert.deepEqual(fresh, {
    service: 'app', destination: null, performer: 'ci', name: 'db', accessoryService: 'app-db',
    command: ['psql', '-c', 'select 1'], interactive: true, tty: true, reuse: false,
    container: {
      image: 'postgres:16', registry: null, host: 'db1',
      env: { clear: { POSTGRES_DB: 'app' }, secrets: {} }, volumes: ['/var/lib/db:/var/lib/postgresql/data'], network: 'kamal',
      mounts: [{ hostPath: 'app-db/docker-entrypoint-initdb.d/init.sql', remote: '/docker-entrypoint-initdb.d/init.sql', options: null }],
    },
    audit: "Executed cmd 'psql -c select 1' on db accessory",
  });
  const reuse = accessoryExecParams(config, db, SECRETS, 'ci', { command: ['psql'], interactive: false, reuse: true, host: 'db1' });
  assert.equal(reuse.container, null, 'the running container has all it needs');
});
