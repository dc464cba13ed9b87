import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, loadErrors } from './test-support.js';

const WEB = 'servers: [1.1.1.1]\n';

/** [what, deploy.yml, an exact line Kamal would print] — from reference §3. */
const cases: [string, string, string][] = [
  ['unknown root key', BASE + WEB + 'unknown: 1\n', 'unknown key: unknown'],
  ['unknown root keys', BASE + WEB + 'unknown: 1\nunknown2: 2\n', 'unknown keys: unknown, unknown2'],
  ['service type', BASE.replace('service: app', 'service: [a]') + WEB, 'service: should be a string'],
  ['require_destination type', BASE + WEB + 'require_destination: "yes please"\n', 'require_destination: should be a boolean'],
  ['deploy_timeout type', BASE + WEB + 'deploy_timeout: soon\n', 'deploy_timeout: should be an integer'],
  ['volumes type', BASE + WEB + 'volumes: /data\n', 'volumes: should be an array'],
  ['servers type', BASE + 'servers: 1.1.1.1\n', 'servers: should be an array or a hash'],
  ['servers multiple hosts in one entry', BASE + 'servers:\n  - 1.1.1.1: a\n    1.1.1.2: b\n', 'servers/0: multiple hosts found'],
  ['servers host tag type', BASE + 'servers:\n  - foo: { a: 1 }\n', 'servers/0/foo: should be a string or an array'],
  ['role hosts type', BASE + 'servers:\n  web:\n    hosts: 1.1.1.1\n', 'servers/web/hosts: should be an array'],
  ['reserved role label', BASE + 'servers:\n  web:\n    hosts: [1.1.1.1]\n    labels:\n      service: x\n', 'servers/web/labels/service: invalid label. destination, role, and service are reserved labels'],
  ['tags in role env', BASE + 'servers:\n  web:\n    hosts: [1.1.1.1]\n    env:\n      tags:\n        a: { X: "1" }\n', 'servers/web/env: tags are only allowed in the root env'],
  ['tag env secret type', BASE + WEB + 'env:\n  tags:\n    tag1:\n      secret: [[X]]\n', 'env/tags/tag1/secret/0: should be a string'],
  ['env unknown key beside clear', BASE + WEB + 'env:\n  clear: { A: "1" }\n  FOO: bar\n', 'env: unknown key: FOO'],
  ['registry username required', BASE.replace('  username: user\n', '') + WEB, 'registry/username: is required'],
  ['registry password shape', BASE.replace('[KAMAL_REGISTRY_PASSWORD]', '[A, B]') + WEB, 'registry/password: should be a string or an array with one string (for secret lookup)'],
  ['accessory unknown key', BASE + WEB + 'accessories:\n  accessory1:\n    image: mysql\n    host: 1.1.1.1\n    unknown: 1\n', 'accessories/accessory1: unknown key: unknown'],
  ['accessory host selector', BASE + WEB + 'accessories:\n  db:\n    image: mysql\n', 'accessories/db: specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`'],
  ['accessory unknown role', BASE + WEB + 'accessories:\n  db:\n    image: mysql\n    role: jobs\n', 'accessories/db: unknown role(s) jobs'],
  ['ssh config type', BASE + WEB + 'ssh:\n  config: { a: 1 }\n', 'ssh/config: should be a boolean or a string or an array'],
  ['sshkit dns_retries type', BASE + WEB + 'sshkit:\n  dns_retries: many\n', 'sshkit/dns_retries: should be an integer'],
  ['builder arch type', BASE.replace('arch: amd64', 'arch: { a: 1 }') + WEB, 'builder/arch: should be an array or a string'],
  ['builder arch missing', BASE.replace('builder:\n  arch: amd64\n', 'builder:\n  context: .\n') + WEB, 'builder: Builder arch not set'],
  ['builder section missing', BASE.replace('builder:\n  arch: amd64\n', '') + WEB, 'builder: Builder arch not set'],
  ['buildpacks one arch', BASE.replace('arch: amd64', 'arch: [amd64, arm64]\n  pack:\n    builder: heroku/builder:24') + WEB, 'builder: buildpacks only support building for one arch'],
  ['builder cache options type', BASE + '  cache:\n    type: gha\n    options: [a]\n' + WEB, 'builder/cache/options: should be a string'],
  ['builder cache type', BASE + '  cache:\n    type: s3\n' + WEB, 'builder: Invalid cache type: s3'],
  ['builder local without remote', BASE + '  local: false\n' + WEB, 'builder: Cannot disable local builds, no remote is set'],
  ['restart must be a string', BASE + 'servers:\n  web: [1.1.1.1]\n  workers:\n    hosts: [1.1.1.2]\n    options:\n      restart: no\n', 'servers/workers/options/restart: should be a string. Use "no" to disable restarts'],
  ['restart policy value', BASE + 'servers:\n  web: [1.1.1.1]\n  workers:\n    hosts: [1.1.1.2]\n    options:\n      restart: sometimes\n', 'servers/workers/options/restart: should be no, always, unless-stopped, on-failure, or on-failure:N'],
  ['root proxy false', BASE + WEB + 'proxy: false\n', 'proxy: should be a hash'],
  ['automatic SSL needs a host', BASE + 'servers:\n  web: [1.1.1.1]\n  workers:\n    hosts: [1.1.1.2]\n    proxy:\n      ssl: true\n', 'servers/workers/proxy: Must set a host to enable automatic SSL'],
  ['host and hosts', BASE + WEB + 'proxy:\n  host: a.com\n  hosts: [b.com]\n', "proxy: Specify one of 'host' or 'hosts', not both"],
  ['certificate without key', BASE + WEB + 'proxy:\n  host: a.com\n  ssl:\n    certificate_pem: CERT\n', 'proxy/ssl: Missing private_key_pem setting (required when certificate_pem is present)'],
  ['key without certificate', BASE + WEB + 'proxy:\n  host: a.com\n  ssl:\n    private_key_pem: KEY\n', 'proxy/ssl: Missing certificate_pem setting (required when private_key_pem is present)'],
  ['publish false with ports', BASE + WEB + 'proxy:\n  run:\n    publish: false\n    http_port: 8080\n', 'proxy/run: Cannot set http_port, https_port or bind_ips when publish is false'],
  ['missing service', BASE.replace('service: app\n', '') + WEB, 'Missing required configuration for service'],
  ['missing image', BASE.replace('image: dhh/app\n', '') + WEB, 'Missing required configuration for image'],
  ['missing registry', BASE.replace(/registry:\n(  .*\n)+/, '') + WEB, 'Missing required configuration for registry'],
  ['no servers or accessories', BASE, 'No servers or accessories specified'],
  ['primary role undefined', BASE + 'servers:\n  workers: [1.1.1.1]\n', "The primary_role web isn't defined"],
  ['primary role without servers', BASE + 'servers:\n  web: []\n', 'No servers specified for the web primary_role'],
  ['empty role', BASE + 'servers:\n  web: [1.1.1.1]\n  workers: []\n', 'No servers specified for the workers role. You can ignore this with allow_empty_roles: true'],
  ['service name characters', BASE.replace('service: app', 'service: my.app') + WEB, 'Service name can only include alphanumeric characters, hyphens, and underscores'],
  ['minimum version', BASE + WEB + 'minimum_version: 9.0.0\n', 'Current version is 2.12.0, minimum required is 9.0.0'],
  ['retain containers', BASE + WEB + 'retain_containers: 0\n', 'Must retain at least 1 container'],
  ['hooks_output level', BASE + WEB + 'hooks_output:\n  pre-deploy: :loud\n', "hooks_output: Invalid hooks_output 'loud' for hook 'pre-deploy', must be one of: quiet, verbose"],
  ['SSL on several servers', BASE + 'servers:\n  web: [1.1.1.1, 1.1.1.2]\nproxy:\n  host: a.com\n  ssl: true\n', 'SSL is only supported on a single server unless you provide custom certificates, found 2 servers for role web'],
  ['SSL host shared by roles', BASE + 'servers:\n  web: [1.1.1.1]\n  api:\n    hosts: [1.1.1.2]\n    proxy: true\nproxy:\n  host: a.com\n  ssl: true\n', "Different roles can't share the same host for SSL: a.com"],
  ['conflicting proxy run', BASE + 'servers:\n  web: [1.1.1.1]\n  api:\n    hosts: [1.1.1.1]\n    proxy:\n      run:\n        http_port: 8080\n', 'Conflicting proxy run configurations for host 1.1.1.1'],
  ['alias name', BASE + WEB + 'aliases:\n  Shell: app exec bash\n', "aliases/Shell: Invalid alias name: 'Shell'. Must only contain lowercase letters, alphanumeric, hyphens and underscores."],
  ['alias shadowing a command', BASE + WEB + 'aliases:\n  deploy: app exec bash\n', "aliases/deploy: Alias 'deploy' conflicts with a built-in command."],
  ['output file path', BASE + WEB + 'output:\n  file: {}\n', 'output/file: file path is required'],
  ['otel endpoint', BASE + WEB + 'output:\n  otel: {}\n', 'output/otel: OTel endpoint is required'],
  ['nested x- key is unknown', BASE + WEB + 'proxy:\n  x-extra: 1\n', 'proxy: unknown key: x-extra'],
  ['x-drover schema', BASE + WEB + 'x-drover:\n  controller: [a]\n', 'x-drover/controller: should be a string'],
  ['x-drover auto_rollback', BASE + WEB + 'x-drover:\n  auto_rollback: sometimes\n', 'x-drover/auto_rollback: should be a boolean'],
  ['x-drover canary hosts', BASE + WEB + 'x-drover:\n  canary:\n    hosts: 0%\n', 'x-drover/canary/hosts: should be a number of hosts (at least 1) or a percentage'],
  ['x-drover canary zero', BASE + WEB + 'x-drover:\n  canary:\n    hosts: 0\n', 'x-drover/canary/hosts: should be a number of hosts (at least 1) or a percentage'],
  ['x-drover canary soak', BASE + WEB + 'x-drover:\n  canary:\n    hosts: 1\n    soak: 0\n', 'x-drover/canary/soak: should be at least 1'],
  ['x-drover offline', BASE + WEB + 'x-drover:\n  offline: later\n', 'x-drover/offline: should be one of: fail, skip, wait'],
  ['x-drover roles: an unknown role', BASE + WEB + 'x-drover:\n  roles:\n    api:\n      labels: tier=edge\n', 'x-drover/roles/api: no such role in servers'],
  ['x-drover roles: a bad selector', BASE + WEB + 'x-drover:\n  roles:\n    web:\n      labels: edge\n', 'x-drover/roles/web/labels: should be key=value pairs (region=eu,tier=edge) or a hash of labels'],
  ['x-drover roles: labels of the wrong type', BASE + WEB + 'x-drover:\n  roles:\n    web:\n      labels: [a]\n', 'x-drover/roles/web/labels: should be key=value pairs (region=eu,tier=edge) or a hash of labels'],
  ['x-drover canary needs hosts', BASE + WEB + 'x-drover:\n  canary:\n    soak: 5\n', 'x-drover/canary/hosts: should be a number of hosts (at least 1) or a percentage'],
  ['local registry with remote builder', BASE.replace(/registry:\n(  .*\n)+/, 'registry:\n  server: localhost:5555\n') + '  remote: tcp://builder:2375\n' + WEB, 'Local registry with remote builder requires an SSH URL (e.g., ssh://user@host)'],
];

for (const [what, yml, expected] of cases) {
  test(`validation: ${what}`, async () => {
    const errors = await loadErrors(yml);
    assert.ok(errors.includes(expected), `expected ${JSON.stringify(expected)} in:\n${errors.join('\n')}`);
  });
}

test('validation: every problem is reported at once, under one heading', async () => {
  const errors = await loadErrors(BASE.replace('service: app\n', '') + 'servers: 5\ndeploy_timeout: x\nbogus: 1\n');
  assert.equal(errors[0], 'config/deploy.yml: invalid configuration (4 problems)');
  assert.deepEqual(errors.slice(1).sort(), [
    'Missing required configuration for service',
    'deploy_timeout: should be an integer',
    'servers: should be an array or a hash',
    'unknown key: bogus',
  ]);
});

test('validation: renamed traefik hooks are rejected', async () => {
  const errors = await loadErrors(BASE + WEB, { files: { '.kamal/hooks/pre-traefik-reboot': '#!/bin/sh\n', '.kamal/hooks/post-traefik-reboot': '#!/bin/sh\n' } });
  assert.ok(errors.includes('Found pre-traefik-reboot, post-traefik-reboot, these should be renamed to (pre|post)-proxy-reboot'), errors.join('\n'));
});
