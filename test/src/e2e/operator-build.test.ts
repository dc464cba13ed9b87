// The operator's build (`controller/src/operator/build.ts`) against the rig's real operator side:
// its build dockerd and the TLS registry with htpasswd. Kamal's git-clone build, `builder.context: .`,
// .dockerignore, both tags pushed and pulled back, and the errors a person sees.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { buildAndPush, type BuildOptions } from '@drover/controller/operator/build';
import { loadConfig } from '@drover/shared/config';
import { isUserError } from '@drover/shared/errors';
import { Rig, followProgress } from '../rig/index.js';
import { writeSampleAppContext } from '../rig/sample-app.js';

let rig: Rig;
let docker: Docker;
const scratch: string[] = [];
const builtRefs = new Set<string>();

before(async () => {
  rig = await Rig.start({ hosts: [] });
  docker = rig.operator.docker;
});

after(async () => {
  for (const ref of builtRefs) await docker.getImage(ref).remove({ force: true }).catch(() => {});
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  await rig?.stop();
});

function tempDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  scratch.push(dir);
  return dir;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=op@example.com', '-c', 'user.name=Op', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' }).trim();
}

function deployYml(service: string, builderExtra = ''): string {
  return [
    `service: ${service}`,
    `image: drover-e2e/${service}`,
    'servers:',
    '  - 10.0.0.1',
    'registry:',
    `  server: ${rig.registry.server}`,
    `  username: ${rig.registry.username}`,
    '  password: [KAMAL_REGISTRY_PASSWORD]',
    'builder:',
    '  arch: amd64',
    builderExtra,
    '',
  ].join('\n');
}

/** A committed git repository holding the sample app, a context copy (`/ctx`) and two deploy files. */
function makeProject(service: string, options: { dockerfile?: boolean } = {}): string {
  const dir = join(tempDir('drover-opbuild-'), 'shop');
  writeSampleAppContext(dir, { service, version: 'committed' });
  const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8')
    .replace(/^LABEL service=.*\n/m, '') // the service label must come from the build itself
    .replace('COPY www /www\n', 'COPY www /www\nCOPY . /ctx\n');
  if (options.dockerfile === false) rmSync(join(dir, 'Dockerfile'));
  else writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config/deploy.yml'), deployYml(service));
  writeFileSync(join(dir, 'config/deploy.context.yml'), deployYml(service, '  context: .'));
  writeFileSync(join(dir, '.dockerignore'), '.git\n*.log\n!keep.log\n');
  writeFileSync(join(dir, 'debug.log'), 'left out\n');
  writeFileSync(join(dir, 'keep.log'), 'sent\n');
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'sample app');
  return dir;
}

const registryCredentials = () => ({ server: rig.registry.server, username: rig.registry.username, password: rig.registry.password });

async function build(dir: string, extra: Partial<BuildOptions> & { configFile?: string } = {}): Promise<{ result: { image: string; tags: string[] }; lines: string[] }> {
  const { configFile, ...rest } = extra;
  const config = await loadConfig({ cwd: dir, configFile, env: {} });
  const lines: string[] = [];
  const cloneTmp = tempDir('drover-opbuild-clones-');
  const result = await buildAndPush({
    config,
    projectDir: dir,
    registry: registryCredentials(),
    noCache: false,
    docker,
    say: (line) => lines.push(line),
    env: { ...process.env, TMPDIR: cloneTmp },
    ...rest,
  });
  for (const ref of result.tags) builtRefs.add(ref);
  return { result, lines };
}

/** GET on the registry's /v2 API with the rig's CA and credentials. */
function registryGet(path: string): Promise<{ status: number; body: string }> {
  const ca = readFileSync(rig.registry.caFile, 'utf8');
  const authorization = `Basic ${Buffer.from(`${rig.registry.username}:${rig.registry.password}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = request(`${rig.registry.url}${path}`, { ca, headers: { authorization }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('registry request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Drops the local copies, pulls `ref` back from the registry and returns its label and files. */
async function pullBack(ref: string): Promise<{ label: string | undefined; read(path: string): Promise<string>; list(dir: string): Promise<string[]> }> {
  await docker.getImage(ref).remove({ force: true }).catch(() => {});
  const auth = { username: rig.registry.username, password: rig.registry.password, serveraddress: rig.registry.server };
  await followProgress(docker, await docker.pull(ref, { authconfig: auth }));
  const image = await docker.getImage(ref).inspect();
  const work = tempDir('drover-opbuild-files-');
  const archive = async (path: string): Promise<string> => {
    const container = await docker.createContainer({ Image: ref, Cmd: ['true'], NetworkDisabled: true });
    try {
      const file = join(work, `${randomBytes(4).toString('hex')}.tar`);
      await pipeline(await container.getArchive({ path }), createWriteStream(file));
      return file;
    } finally {
      await container.remove({ force: true });
    }
  };
  return {
    label: image.Config.Labels?.service,
    read: async (path) => execFileSync('tar', ['-xOf', await archive(path)], { encoding: 'utf8' }),
    list: async (dir) => execFileSync('tar', ['-tf', await archive(dir)], { encoding: 'utf8' }).split('\n').filter(Boolean).sort(),
  };
}

async function userError(promise: Promise<unknown>): Promise<{ message: string; details: string[] }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isUserError(err), `expected a UserError, got ${String(err)}`);
    return { message: err.message, details: err.details };
  }
  throw new Error('expected the build to fail');
}

test('git-clone build: committed files only, .dockerignore honoured, both tags in the registry with the service label', async () => {
  const service = `opbuild${randomBytes(3).toString('hex')}`;
  const dir = makeProject(service);
  const sha = git(dir, 'rev-parse', 'HEAD');
  writeFileSync(join(dir, 'www/version'), 'uncommitted\n');

  const lines: string[] = [];
  const { result } = await build(dir, { say: (l) => lines.push(l), preBuild: async () => void lines.push('<pre-build>') });
  const repository = `${rig.registry.server}/drover-e2e/${service}`;
  assert.deepEqual(result, { image: `${repository}:${sha}`, tags: [`${repository}:${sha}`, `${repository}:latest`] });
  assert.equal(lines[0], '<pre-build>', 'the pre-build callback runs after the login, before the clone');
  assert.ok(lines.includes('Building from a local git clone, so ignoring these uncommitted changes:'), lines.join('\n'));
  assert.ok(lines.includes(' M www/version'), lines.join('\n'));
  assert.ok(lines.some((l) => /^Cloning repo into build directory `.*\/kamal-clones\/.*\/shop`\.\.\.$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^Step \d+\/\d+ : COPY \. \/ctx$/.test(l)), 'the daemon\'s build output is streamed');
  assert.ok(!lines.join('\n').includes(rig.registry.password), 'the registry password is never printed');

  const tags = await registryGet(`/v2/drover-e2e/${service}/tags/list`);
  assert.equal(tags.status, 200, tags.body);
  assert.deepEqual((JSON.parse(tags.body) as { tags: string[] }).tags.sort(), [sha, 'latest'].sort());

  const image = await pullBack(`${repository}:${sha}`);
  assert.equal(image.label, service);
  assert.equal(await image.read('/www/version'), 'committed\n', 'the uncommitted change is not in the image');
  const ctx = await image.list('/ctx');
  assert.ok(ctx.includes('ctx/keep.log') && ctx.includes('ctx/Dockerfile') && ctx.includes('ctx/.dockerignore'), ctx.join(' '));
  assert.ok(!ctx.includes('ctx/debug.log'), 'debug.log is left out by .dockerignore');
  assert.ok(!ctx.some((p) => p.startsWith('ctx/.git/')), '.git is left out by .dockerignore');

  const latest = await pullBack(`${repository}:latest`);
  assert.equal(latest.label, service);
});

test('builder.context: . builds the working tree, uncommitted change included, version marked uncommitted', async () => {
  const service = `opbuild${randomBytes(3).toString('hex')}`;
  const dir = makeProject(service);
  const sha = git(dir, 'rev-parse', 'HEAD');
  writeFileSync(join(dir, 'www/version'), 'uncommitted\n');

  const { result, lines } = await build(dir, { configFile: 'config/deploy.context.yml', noCache: true });
  const repository = `${rig.registry.server}/drover-e2e/${service}`;
  assert.match(result.image, new RegExp(`^${repository.replace(/\./g, '\\.')}:${sha}_uncommitted_[0-9a-f]{16}$`));
  assert.deepEqual(result.tags, [result.image, `${repository}:latest`]);
  assert.ok(lines.includes('Building with uncommitted changes:'), lines.join('\n'));
  assert.ok(!lines.some((l) => l.startsWith('Cloning repo')), 'no clone with builder.context');
  assert.ok(lines.some((l) => l.endsWith('--no-cache . (through the Docker Engine API)')), lines.join('\n'));

  const image = await pullBack(result.image);
  assert.equal(image.label, service);
  assert.equal(await image.read('/www/version'), 'uncommitted\n', 'the working tree is built');
});

test('a missing Dockerfile fails with Kamal\'s message', async () => {
  const service = `opbuild${randomBytes(3).toString('hex')}`;
  const dir = makeProject(service, { dockerfile: false });
  const err = await userError(build(dir));
  assert.equal(err.message, 'Missing Dockerfile');
});

test('a wrong registry password fails before building, clearly and without the password', async () => {
  const service = `opbuild${randomBytes(3).toString('hex')}`;
  const dir = makeProject(service);
  const wrong = `wrong-${randomBytes(6).toString('hex')}`;
  const lines: string[] = [];
  let preBuildRan = false;
  const err = await userError(build(dir, { registry: { ...registryCredentials(), password: wrong }, say: (l) => lines.push(l), preBuild: async () => void (preBuildRan = true) }));
  assert.equal(preBuildRan, false, 'the login fails before the pre-build hook');
  assert.match(err.message, new RegExp(`^Registry login to ${rig.registry.server.replace(/\./g, '\\.')} as ${rig.registry.username} failed: .*(401|[Uu]nauthorized)`));
  assert.ok(!err.message.includes(wrong));
  assert.ok(!lines.some((l) => l.startsWith('Step ')), 'nothing was built');
});

test('a failing build reports the daemon\'s error and its last output lines', async () => {
  const service = `opbuild${randomBytes(3).toString('hex')}`;
  const dir = makeProject(service);
  writeFileSync(join(dir, 'Dockerfile'), `${readFileSync(join(dir, 'Dockerfile'), 'utf8')}COPY debug.log /debug.log\n`);
  git(dir, 'commit', '-qam', 'copy an ignored file');
  const err = await userError(build(dir));
  assert.match(err.message, /^Building .*:[0-9a-f]{40} failed: .*debug\.log/);
  assert.ok(err.details.some((l) => /^Step \d+\/\d+ : COPY debug\.log \/debug\.log$/.test(l)), err.details.join('\n'));
});
