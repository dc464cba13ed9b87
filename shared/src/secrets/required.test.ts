import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, load } from '../config/test-support.js';
import { requiredSecretNames, checkRequiredSecrets } from './required.js';
import { SecretStore } from './store.js';

test('required secrets: env (roles, tags, accessories), registry, builder, certificates', async () => {
  const c = await load(BASE.replace('arch: amd64', 'arch: amd64\n  secrets: [GITHUB_TOKEN]') + `servers:
  web: [1.1.1.1: east]
env:
  secret: ["DB:PROD_DB"]
  tags:
    east: { secret: [EAST_KEY] }
proxy:
  host: a.com
  ssl: { certificate_pem: CERT, private_key_pem: KEY }
accessories:
  db: { image: mysql, host: 1.1.1.2, env: { secret: [MYSQL_PW] } }
`);
  assert.deepEqual(requiredSecretNames(c).sort(), ['CERT', 'EAST_KEY', 'GITHUB_TOKEN', 'KAMAL_REGISTRY_PASSWORD', 'KEY', 'MYSQL_PW', 'PROD_DB']);
  const store = new SecretStore({ PROD_DB: 'x' }, ['.kamal/secrets'], ['.kamal/secrets-common', '.kamal/secrets']);
  assert.throws(() => checkRequiredSecrets(c, store), /6 secrets are missing/);
});
