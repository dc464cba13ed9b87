import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocument } from 'yaml';
import { UserError, isUserError } from '@drover/shared';
import { deepMerge, parseYaml11, validateConfig } from '@drover/shared/config';
import { rootShape } from '@drover/shared/config/schema/root';
import { CONFIG_DOC_SECTIONS, configDocs } from './config-docs.js';

/** Kamal 2.12's `lib/kamal/configuration/docs/*.yml`, in its order. */
const KAMAL_SECTIONS = ['accessory', 'alias', 'boot', 'builder', 'configuration', 'env', 'logging', 'output', 'proxy', 'registry', 'role', 'servers', 'ssh', 'sshkit'];

/** The keys Kamal's page for each section documents; ours must explain each of them too. */
const DOCUMENTED_KEYS: Record<string, string[]> = {
  accessory: ['accessories', 'service', 'image', 'registry', 'host', 'hosts', 'role', 'roles', 'tag', 'tags', 'cmd', 'port', 'labels', 'options', 'env', 'files', 'directories', 'local', 'remote', 'mode', 'owner', 'volumes', 'network', 'proxy'],
  alias: ['aliases'],
  boot: ['boot', 'limit', 'wait', 'parallel_roles'],
  builder: ['builder', 'arch', 'remote', 'local', 'pack', 'buildpacks', 'cache', 'type', 'options', 'image', 'context', 'dockerfile', 'target', 'args', 'secrets', 'ssh', 'driver', 'provenance', 'sbom'],
  configuration: Object.keys(rootShape),
  env: ['env', 'clear', 'secret', 'tags'],
  logging: ['logging', 'driver', 'options'],
  output: ['output', 'otel', 'endpoint', 'file', 'path'],
  proxy: [
    'proxy', 'host', 'hosts', 'app_port', 'ssl', 'certificate_pem', 'private_key_pem', 'ssl_redirect', 'forward_headers', 'response_timeout',
    'path_prefix', 'path_prefixes', 'strip_path_prefix', 'healthcheck', 'interval', 'path', 'timeout', 'buffering', 'requests', 'responses',
    'memory', 'max_request_body', 'max_response_body', 'logging', 'request_headers', 'response_headers', 'run', 'http_port', 'https_port',
    'metrics_port', 'debug', 'log_max_size', 'publish', 'bind_ips', 'registry', 'repository', 'version', 'options',
  ],
  registry: ['registry', 'server', 'username', 'password'],
  role: ['servers', 'hosts', 'cmd', 'stop_timeout', 'options', 'logging', 'proxy', 'labels', 'env', 'asset_path'],
  servers: ['servers', 'hosts'],
  ssh: ['ssh', 'user', 'port', 'proxy', 'proxy_command', 'log_level', 'keys_only', 'keys', 'key_data', 'config', 'forward_agent'],
  sshkit: ['sshkit', 'max_concurrent_starts', 'pool_idle_timeout', 'dns_retries'],
};

/** `key:` as a YAML key, in the example or in a commented-out line. */
function mentionsKey(doc: string, key: string): boolean {
  return new RegExp(`(?:^|\\n)[ \\t]*(?:#[ \\t]*)?(?:- )?${key}:(?:[ \\t]|\\n|$)`).test(doc);
}

const BASE = {
  service: 'app',
  image: 'acme/app',
  registry: { username: 'acme', password: ['KAMAL_REGISTRY_PASSWORD'] },
  builder: { arch: 'amd64' },
  servers: { web: ['web-1'] },
};

test('every section Kamal documents exists, in its order', () => {
  assert.deepEqual(Object.keys(CONFIG_DOC_SECTIONS), KAMAL_SECTIONS);
  for (const section of KAMAL_SECTIONS) {
    assert.equal(configDocs(section), CONFIG_DOC_SECTIONS[section]);
    assert.match(configDocs(section), /^# \S.*\n/, section);
    assert.ok(configDocs(section).endsWith('\n'), section);
  }
});

test('each section parses as YAML', () => {
  for (const [section, doc] of Object.entries(CONFIG_DOC_SECTIONS)) {
    const parsed = parseDocument(doc);
    assert.deepEqual(parsed.errors, [], section);
    assert.deepEqual(parsed.warnings, [], section);
    const value = parsed.toJS() as unknown;
    assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `${section}: a hash of deploy.yml keys`);
  }
});

test('each section explains the keys Kamal documents for it', () => {
  for (const [section, keys] of Object.entries(DOCUMENTED_KEYS)) {
    const missing = keys.filter((key) => !mentionsKey(CONFIG_DOC_SECTIONS[section]!, key));
    assert.deepEqual(missing, [], section);
  }
});

test("each section's example is accepted by Drover's validator", () => {
  for (const [section, doc] of Object.entries(CONFIG_DOC_SECTIONS)) {
    const example = parseYaml11(doc, `${section}.yml`) as Record<string, unknown>;
    const merged = section === 'configuration' ? example : (deepMerge(BASE, example) as Record<string, unknown>);
    const raw = Object.fromEntries(Object.entries(merged).filter(([key]) => !key.startsWith('x-')));
    try {
      validateConfig(raw, merged['x-drover'], { label: `${section}.yml` });
    } catch (err) {
      if (isUserError(err)) assert.fail(`${section}: ${[err.message, ...err.details].join('\n')}`);
      throw err;
    }
  }
});

test('without a section: the root page, as kamal docs prints it', () => {
  assert.equal(configDocs(), CONFIG_DOC_SECTIONS.configuration);
  assert.match(configDocs(), /^# Drover configuration\n/);
});

test('section names match regardless of case', () => {
  assert.equal(configDocs('Accessory'), CONFIG_DOC_SECTIONS.accessory);
  assert.equal(configDocs('SSHKIT'), CONFIG_DOC_SECTIONS.sshkit);
});

test('an unknown section is a UserError: No documentation found for <section>', () => {
  for (const section of ['foo', 'volume', 'toString', '__proto__', '']) {
    assert.throws(
      () => configDocs(section),
      (err: unknown) => err instanceof UserError && err.message === `No documentation found for ${section}`,
      section,
    );
  }
});
