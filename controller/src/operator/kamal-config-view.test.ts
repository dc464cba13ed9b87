import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { BASE, load } from '@drover/shared/config/test-support';
import { kamalConfigView, kamalConfigYaml } from './kamal-config-view.js';
import { RubyObject, rubyYaml } from './ruby-yaml.js';

// Expected outputs were checked against Kamal 2.12's own `Kamal::Utils.redacted(config.to_h).to_yaml`
// (Ruby, Psych on libyaml 0.2.5) for the same files, except where noted for redaction.

const SIMPLE = `${BASE}servers:
  - 1.1.1.1
`;

const SIMPLE_YAML = `---
:roles:
- web
:hosts:
- 1.1.1.1
:primary_host: 1.1.1.1
:version: '999'
:repository: dhh/app
:absolute_image: dhh/app:999
:service_with_version: app-999
:volume_args: []
:ssh_options:
  :user: root
  :port: 22
  :keepalive: true
  :keepalive_interval: 30
  :log_level: :fatal
:sshkit: {}
:builder:
  arch: amd64
:logging:
- "--log-opt"
- max-size="10m"
`;

test('a simple app: one role, one host', async () => {
  const view = kamalConfigView(await load(SIMPLE));
  assert.deepEqual(view, {
    roles: ['web'],
    hosts: ['1.1.1.1'],
    primary_host: '1.1.1.1',
    version: '999',
    repository: 'dhh/app',
    absolute_image: 'dhh/app:999',
    service_with_version: 'app-999',
    volume_args: [],
    ssh_options: { user: 'root', port: 22, keepalive: true, keepalive_interval: 30, log_level: ':fatal' },
    sshkit: {},
    builder: { arch: 'amd64' },
    logging: ['--log-opt', 'max-size="10m"'],
  });
  assert.equal(kamalConfigYaml(view), SIMPLE_YAML);
  // Plain YAML readers see the same data, with the Symbol keys as `:name` strings.
  const parsed = parse(SIMPLE_YAML) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), Object.keys(view).map((k) => `:${k}`));
  assert.deepEqual(parsed[':logging'], ['--log-opt', 'max-size="10m"']);
  assert.equal(parsed[':version'], '999');
});

const SHOP = `service: shop
image: acme/shop
registry:
  server: ghcr.io
  username: acme
  password:
    - KAMAL_REGISTRY_PASSWORD
servers:
  workers:
    hosts:
      - worker-1
    cmd: bin/jobs
  web:
    - web-1
    - web-2: [canary]
volumes:
  - /var/lib/shop/storage:/rails/storage
  - "shop_cache:/rails/tmp/cache"
logging:
  driver: json-file
  options:
    max-size: 100m
    max-file: 3
env:
  clear:
    RAILS_ENV: production
  secret:
    - RAILS_MASTER_KEY
ssh:
  user: deploy
  port: "2222"
  proxy: bastion.example.com
  keys_only: true
  keys: [ "~/.ssh/id_ed25519" ]
sshkit:
  max_concurrent_starts: 10
  pool_idle_timeout: 300
builder:
  arch: amd64
  args:
    RUBY_VERSION: 3.3.4
    BUNDLE_WITHOUT: development
  secrets:
    - GITHUB_TOKEN
accessories:
  db:
    image: mysql:8.0
    host: db-1
    port: 3306
    cmd: --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --default-authentication-plugin=mysql_native_password
    env:
      clear:
        MYSQL_ROOT_HOST: '%'
      secret:
        - MYSQL_ROOT_PASSWORD
    files:
      - config/mysql/production.cnf:/etc/mysql/my.cnf
      - local: db/setup.sql
        remote: /docker-entrypoint-initdb.d/setup.sql
        mode: "0644"
    directories:
      - data:/var/lib/mysql
  cache:
    image: redis:7
    registry:
      server: registry.example.com
      username: bot
      password: hunter2
    roles:
      - workers
    options:
      memory: 512m
`;

const SHOP_STAGING = `servers:
  workers:
    hosts:
      - staging-worker-1
    cmd: bin/jobs
  web:
    - staging-web-1
accessories:
  db:
    host: staging-db-1
`;

// Kamal prints the literal accessory registry password; Drover shows [REDACTED].
const SHOP_STAGING_YAML = `---
:roles:
- web
- workers
:hosts:
- staging-web-1
- staging-worker-1
- staging-db-1
:primary_host: staging-web-1
:version: '999'
:repository: ghcr.io/acme/shop
:absolute_image: ghcr.io/acme/shop:999
:service_with_version: shop-999
:volume_args:
- "--volume"
- "/var/lib/shop/storage:/rails/storage"
- "--volume"
- shop_cache:/rails/tmp/cache
:ssh_options:
  :user: deploy
  :port: '2222'
  :proxy: !ruby/object:Net::SSH::Proxy::Jump
    jump_proxies: root@bastion.example.com
  :keepalive: true
  :keepalive_interval: 30
  :keys_only: true
  :keys:
  - "~/.ssh/id_ed25519"
  :log_level: :fatal
:sshkit:
  max_concurrent_starts: 10
  pool_idle_timeout: 300
:builder:
  arch: amd64
  args:
    RUBY_VERSION: 3.3.4
    BUNDLE_WITHOUT: development
  secrets:
  - GITHUB_TOKEN
:accessories:
  db:
    image: mysql:8.0
    host: staging-db-1
    port: 3306
    cmd: "--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --default-authentication-plugin=mysql_native_password"
    env:
      clear:
        MYSQL_ROOT_HOST: "%"
      secret:
      - MYSQL_ROOT_PASSWORD
    files:
    - config/mysql/production.cnf:/etc/mysql/my.cnf
    - local: db/setup.sql
      remote: "/docker-entrypoint-initdb.d/setup.sql"
      mode: '0644'
    directories:
    - data:/var/lib/mysql
  cache:
    image: redis:7
    registry:
      server: registry.example.com
      username: bot
      password: "[REDACTED]"
    roles:
    - workers
    options:
      memory: 512m
:logging:
- "--log-driver"
- '"json-file"'
- "--log-opt"
- max-size="100m"
- "--log-opt"
- max-file="3"
`;

test('roles (sorted), a destination, volumes, logging, ssh, sshkit, builder and accessories as written', async () => {
  const config = await load(SHOP, { destination: 'staging', files: { 'config/deploy.staging.yml': SHOP_STAGING } });
  const view = kamalConfigView(config);
  assert.deepEqual(view.roles, ['web', 'workers']);
  assert.deepEqual(view.volume_args, ['--volume', '/var/lib/shop/storage:/rails/storage', '--volume', 'shop_cache:/rails/tmp/cache']);
  assert.deepEqual(view.logging, ['--log-driver', '"json-file"', '--log-opt', 'max-size="100m"', '--log-opt', 'max-file="3"']);
  assert.ok((view.ssh_options as Record<string, unknown>).proxy instanceof RubyObject);
  assert.equal(kamalConfigYaml(view), SHOP_STAGING_YAML);
});

const SSH_AND_QUOTING = `service: app
image: app
registry:
  server: localhost:5000
servers:
  - vm1
  - vm2: [ tag1, tag2 ]
ssh:
  proxy_command: ssh -W %h:%p user@proxy
  log_level: debug
  config: [ "~/.ssh/myconfig" ]
  forward_agent: false
volumes: []
logging:
  options:
    max-size: 20m
    tag: :sym
builder:
  driver: docker
  arch: amd64
  args:
    COMMIT_SHA: "0123"
    EMPTY: ""
accessories:
  busybox:
    image: busybox:1.36.0
    cmd: sh -c 'echo "Starting busybox..."; trap exit term; while true; do sleep 1; done'
    host: vm3
    labels:
      note: "a very long label value that goes past the eighty column limit of libyaml so it wraps around"
    env:
      LEVEL: :debug
      ENABLED: yes
`;

test('a proxy command, symbols, quoting and libyaml line wrapping', async () => {
  const yaml = kamalConfigYaml(kamalConfigView(await load(SSH_AND_QUOTING)));
  assert.equal(yaml, `---
:roles:
- web
:hosts:
- vm1
- vm2
- vm3
:primary_host: vm1
:version: '999'
:repository: localhost:5000/app
:absolute_image: localhost:5000/app:999
:service_with_version: app-999
:volume_args: []
:ssh_options:
  :user: root
  :port: 22
  :proxy: !ruby/object:Net::SSH::Proxy::Command
    command_line_template: ssh -W %h:%p user@proxy
    command_line:
    timeout: 60
  :keepalive: true
  :keepalive_interval: 30
  :config:
  - "~/.ssh/myconfig"
  :forward_agent: false
  :log_level: debug
:sshkit: {}
:builder:
  driver: docker
  arch: amd64
  args:
    COMMIT_SHA: '0123'
    EMPTY: ''
:accessories:
  busybox:
    image: busybox:1.36.0
    cmd: sh -c 'echo "Starting busybox..."; trap exit term; while true; do sleep 1;
      done'
    host: vm3
    labels:
      note: a very long label value that goes past the eighty column limit of libyaml
        so it wraps around
    env:
      LEVEL: :debug
      ENABLED: true
:logging:
- "--log-opt"
- max-size="20m"
- "--log-opt"
- tag="sym"
`);
});

test('secret values never appear, only secret names', async () => {
  const files = { '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=registry-s3cret\nDB_PASSWORD=db-s3cret\nSSH_KEY=ssh-s3cret\n' };
  const config = await load(
    `${SIMPLE}env:
  secret:
    - DB_PASSWORD
ssh:
  key_data:
    - SSH_KEY
    - "-----BEGIN OPENSSH PRIVATE KEY----- inline-s3cret"
accessories:
  db:
    image: mysql:8.0
    host: db-1
    env:
      secret:
        - DB_PASSWORD
    registry:
      server: registry.example.com
      username: bot
      password: literal-s3cret
  cache:
    image: redis:7
    host: cache-1
    registry:
      server: registry.example.com
      username: bot
      password: [CACHE_REGISTRY_PASSWORD]
`,
    { files },
  );
  const yaml = kamalConfigYaml(kamalConfigView(config));
  assert.doesNotMatch(yaml, /s3cret/);
  assert.match(yaml, /:key_data:\n {2}- "\[REDACTED\]"\n {2}- "\[REDACTED\]"\n/);
  assert.match(yaml, /password: "\[REDACTED\]"/);
  assert.match(yaml, /password:\n {6}- CACHE_REGISTRY_PASSWORD\n/);
  assert.match(yaml, /secret:\n {6}- DB_PASSWORD\n/);
});

test("Ruby's to_yaml: Psych's quoting and libyaml's styles", () => {
  const out = (v: unknown) => rubyYaml({ ':k': v }).slice('---\n:k:'.length);
  assert.equal(out('999'), " '999'\n");
  assert.equal(out('y'), ' "y"\n');
  assert.equal(out('yes'), " 'yes'\n");
  assert.equal(out(''), " ''\n");
  assert.equal(out(null), '\n');
  assert.equal(out('/path'), ' "/path"\n');
  assert.equal(out('a: b'), " 'a: b'\n");
  assert.equal(out('tab\there'), ' "tab\\there"\n');
  assert.equal(out('line 1\nline 2\n'), ' |\n  line 1\n  line 2\n');
  assert.equal(out('1.5'), " '1.5'\n");
  assert.equal(out(1.5), ' 1.5\n');
  assert.equal(out(0.00001), ' 1.0e-05\n');
  assert.equal(out(':sym'), ' :sym\n');
  assert.equal(out([[], {}, [1, [2]]]), '\n- []\n- {}\n- - 1\n  - - 2\n');
  assert.equal(out({ a: [{ b: 1, c: 2 }] }), '\n  a:\n  - b: 1\n    c: 2\n');
});
