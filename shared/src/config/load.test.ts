import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderErb } from './erb.js';
import { BASE, load, loadErrors } from './test-support.js';
import { parseYaml11 } from './yaml.js';

const WEB = 'servers: [1.1.1.1]\n';

test('yaml 1.1: 1_000 integers, octal, :symbols, yes/no booleans, y/n strings, lone dot', () => {
  const doc = parseYaml11('a: 40_000_000\nb: 012\nc: :verbose\nd: yes\ne: off\nf: y\ng: n\nh: .\n', 'x.yml');
  assert.deepEqual(doc, { a: 40000000, b: 10, c: ':verbose', d: true, e: false, f: 'y', g: 'n', h: '.' });
});

test('yaml: duplicate keys keep the last value like Ruby', () => {
  assert.deepEqual(parseYaml11('a: 1\na: 2\n', 'x.yml'), { a: 2 });
});

test('yaml: malformed YAML names file, line and column', async () => {
  const errors = await loadErrors(BASE + 'servers: [1.1.1.1\nproxy: {}\n');
  assert.equal(errors[0], 'config/deploy.yml: invalid YAML');
  assert.match(errors[1]!, /^config\/deploy\.yml:\d+:\d+: /);
});

test('extensions: root x- keys with anchors, aliases and << merge keys', async () => {
  const yml = BASE + `x-web: &web
  cmd: bin/web
  options:
    memory: 1g
x-hosts: &hosts [1.1.1.1, 1.1.1.2]
servers:
  web:
    <<: *web
    hosts: *hosts
  jobs:
    <<: *web
    cmd: bin/jobs
    hosts: [1.1.1.3]
`;
  const c = await load(yml);
  assert.deepEqual(c.roles.map((r) => [r.name, r.cmd, r.options, r.hosts.map((h) => h.host)]), [
    ['web', 'bin/web', { memory: '1g' }, ['1.1.1.1', '1.1.1.2']],
    ['jobs', 'bin/jobs', { memory: '1g' }, ['1.1.1.3']],
  ]);
});

test('hooks_output :symbol values lose their colon', async () => {
  const c = await load(BASE + WEB + 'hooks_output: :quiet\n');
  assert.equal(c.hooks.output, 'quiet');
  const d = await load(BASE + WEB + 'hooks_output:\n  pre-deploy: :verbose\n');
  assert.deepEqual(d.hooks.output, { 'pre-deploy': 'verbose' });
});

const erbCases: [string, string, Record<string, string>, string][] = [
  ['ENV["X"]', 'a: <%= ENV["X"] %>', { X: 'one' }, 'a: one'],
  ["ENV['X'] unset is empty", "a: <%= ENV['X'] %>", {}, 'a: '],
  ['ENV.fetch("X")', 'a: <%= ENV.fetch("X") %>', { X: 'two' }, 'a: two'],
  ['ENV.fetch default', 'a: <%= ENV.fetch("X", "dflt") %>', {}, 'a: dflt'],
  ['comment', 'a: 1<%# ignore me %>', {}, 'a: 1'],
  ['trim markers', '  <%- # c -%>\na: <%= ENV["X"] -%>\nb: 2', { X: '1' }, 'a: 1b: 2'],
  ['literal <%%', 'a: "<%%"', {}, 'a: "<%"'],
];
for (const [what, src, env, expected] of erbCases) {
  test(`erb: ${what}`, () => assert.equal(renderErb(src, 'f.yml', env), expected));
}

test('erb: unsupported Ruby is an error naming file and line', () => {
  assert.throws(() => renderErb('a: 1\nb: <%= `git rev-parse HEAD` %>\n', 'config/deploy.yml', {}), (err: Error & { details?: string[] }) => {
    assert.match(err.details![0]!, /^config\/deploy\.yml:2: unsupported ERB/);
    return true;
  });
  assert.throws(() => renderErb('<% if true %>\na: 1\n<% end %>', 'f.yml', {}), /cannot render ERB/);
});

test('erb: ENV.fetch without a default and unset fails', () => {
  assert.throws(() => renderErb('a: <%= ENV.fetch("NOPE") %>', 'f.yml', {}), (err: Error & { details?: string[] }) => /f\.yml:1: key not found: "NOPE"/.test(err.details![0]!));
});

test('erb: KAMAL_DESTINATION is visible while rendering', async () => {
  const c = await load(BASE + WEB + 'env:\n  DEST: <%= ENV["KAMAL_DESTINATION"] %>\n', { destination: 'staging', files: { 'config/deploy.staging.yml': '' } });
  assert.equal(c.roles[0]!.env.clear.DEST, 'staging');
});

test('destinations: deep merge, arrays replaced, names and tags carry the destination', async () => {
  const c = await load(BASE + WEB + 'env:\n  clear:\n    A: base\n    B: base\nvolumes: [/a]\n', {
    destination: 'staging',
    files: { 'config/deploy.staging.yml': 'servers: [2.2.2.2]\nenv:\n  clear:\n    B: staging\nvolumes: [/b]\n' },
  });
  assert.deepEqual(c.roles[0]!.hosts.map((h) => h.host), ['2.2.2.2']);
  assert.deepEqual(c.roles[0]!.env.clear, { A: 'base', B: 'staging' });
  assert.deepEqual(c.volumes, ['/b']);
  assert.equal(c.roles[0]!.containerName, 'app-web-staging-999');
  assert.equal(c.image.latestTag, 'latest-staging');
  assert.equal(c.serviceAndDestination, 'app-staging');
  assert.equal(c.roles[0]!.labels.destination, 'staging');
  assert.deepEqual(c.files, ['config/deploy.yml', 'config/deploy.staging.yml']);
});

test('destinations: a missing destination file is reported like Kamal', async () => {
  assert.deepEqual(await loadErrors(BASE + WEB, { destination: 'nope' }), ['Configuration file not found in config/deploy.nope.yml']);
});

test('require_destination without -d fails', async () => {
  assert.deepEqual(await loadErrors(BASE + WEB + 'require_destination: true\n'), ['You must specify a destination']);
});

test('-c FILE loads another file and its destination sibling', async () => {
  const c = await load('', { configFile: 'deploy/other.yml', destination: 'prod', files: { 'deploy/other.yml': BASE + WEB, 'deploy/other.prod.yml': 'service: other\n' } });
  assert.equal(c.service, 'other');
  assert.deepEqual(c.files, ['deploy/other.yml', 'deploy/other.prod.yml']);
});

test('a missing config file', async () => {
  assert.deepEqual(await loadErrors('', { configFile: 'nope.yml' }), ['Configuration file not found in nope.yml']);
});

test('a non-hash document', async () => {
  assert.deepEqual(await loadErrors('- a\n- b\n'), ['config/deploy.yml: should be a hash of configuration keys']);
});
