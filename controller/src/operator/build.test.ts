import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { load } from '@drover/shared/config/test-support';
import { isUserError } from '@drover/shared/errors';
import { buildSpec, normalizeArch, type BuildSpec } from './build.js';
import { listContext, tarStream } from './context-tar.js';
import { DockerIgnore, parseDockerignore } from './dockerignore.js';
import { buildDirectory, cloneDirectory, gitRunner, kamalTmpdir, prepareClone, readGitState } from './git-clone.js';

const BASE = `service: app
image: dhh/app
servers:
  - 1.1.1.1
registry:
  username: user
  password: [KAMAL_REGISTRY_PASSWORD]
`;

const DIR = '/work/build';
const DEFAULT_SPEC: BuildSpec = {
  contextDir: DIR,
  dockerfilePath: `${DIR}/Dockerfile`,
  dockerfile: 'Dockerfile',
  dockerfileOutsideContext: false,
  tags: ['dhh/app:999', 'dhh/app:latest'],
  labels: { service: 'app' },
  buildargs: {},
  target: null,
  platform: 'linux/amd64',
  nocache: false,
  command: 'docker build --platform linux/amd64 -t dhh/app:999 -t dhh/app:latest --label service="app" --file Dockerfile .',
};

interface SpecCase {
  name: string;
  builder: string;
  yml?: string;
  destination?: string;
  files?: Record<string, string>;
  noCache?: boolean;
  daemonArch?: string;
  env?: NodeJS.ProcessEnv;
  expected: Partial<BuildSpec>;
}

const SPEC_CASES: SpecCase[] = [
  { name: 'defaults (git clone build: the build directory is the context)', builder: 'builder:\n  arch: amd64\n', expected: {} },
  {
    name: 'registry server and destination: latest-<dest> tag',
    builder: 'builder:\n  arch: amd64\n',
    yml: BASE.replace('registry:\n', 'registry:\n  server: registry.example.com:5000\n'),
    destination: 'staging',
    files: { 'config/deploy.staging.yml': 'servers: [2.2.2.2]\n' },
    expected: {
      tags: ['registry.example.com:5000/dhh/app:999', 'registry.example.com:5000/dhh/app:latest-staging'],
      command: 'docker build --platform linux/amd64 -t registry.example.com:5000/dhh/app:999 -t registry.example.com:5000/dhh/app:latest-staging --label service="app" --file Dockerfile .',
    },
  },
  {
    name: 'args (redacted in the command), target, --no-cache, arch as a one-element list',
    builder: 'builder:\n  arch: [amd64]\n  target: production\n  args:\n    RUBY_VERSION: 3.3.0\n    API_TOKEN: sekrit-token\n    DEBUG: false\n    WORKERS: 4\n',
    noCache: true,
    expected: {
      buildargs: { RUBY_VERSION: '3.3.0', API_TOKEN: 'sekrit-token', DEBUG: 'false', WORKERS: '4' },
      target: 'production',
      nocache: true,
      command: 'docker build --platform linux/amd64 -t dhh/app:999 -t dhh/app:latest --label service="app" --build-arg RUBY_VERSION=[REDACTED] --build-arg API_TOKEN=[REDACTED] --build-arg DEBUG=[REDACTED] --build-arg WORKERS=[REDACTED] --file Dockerfile --target production --no-cache .',
    },
  },
  {
    name: 'a bare build arg takes its value from the environment (docker --build-arg KEY)',
    builder: 'builder:\n  arch: amd64\n  args:\n    FROM_ENV:\n    MISSING: ""\n',
    env: { FROM_ENV: 'env-value' },
    expected: {
      buildargs: { FROM_ENV: 'env-value' },
      command: 'docker build --platform linux/amd64 -t dhh/app:999 -t dhh/app:latest --label service="app" --build-arg FROM_ENV --build-arg MISSING --file Dockerfile .',
    },
  },
  {
    name: 'context and a dockerfile inside it (--file is relative to the build directory)',
    builder: 'builder:\n  arch: amd64\n  context: app\n  dockerfile: app/docker/Dockerfile.prod\n',
    expected: {
      contextDir: `${DIR}/app`,
      dockerfilePath: `${DIR}/app/docker/Dockerfile.prod`,
      dockerfile: 'docker/Dockerfile.prod',
      command: 'docker build --platform linux/amd64 -t dhh/app:999 -t dhh/app:latest --label service="app" --file app/docker/Dockerfile.prod app',
    },
  },
  {
    name: 'context: . (the working tree)',
    builder: 'builder:\n  arch: amd64\n  context: .\n',
    expected: {},
  },
  {
    name: 'a dockerfile outside the context is sent under a name of its own',
    builder: 'builder:\n  arch: amd64\n  context: app\n',
    expected: {
      contextDir: `${DIR}/app`,
      dockerfile: '.dockerfile.14542e01f8b691cc1767',
      dockerfileOutsideContext: true,
      command: 'docker build --platform linux/amd64 -t dhh/app:999 -t dhh/app:latest --label service="app" --file Dockerfile app',
    },
  },
  {
    name: 'arm64 on an arm64 daemon; driver docker; provenance false is fine',
    builder: 'builder:\n  arch: arm64\n  driver: docker\n  provenance: false\n  sbom: false\n',
    daemonArch: 'arm64',
    expected: {
      platform: 'linux/arm64',
      command: 'docker build --platform linux/arm64 -t dhh/app:999 -t dhh/app:latest --label service="app" --file Dockerfile .',
    },
  },
  {
    name: 'a remote builder is not needed when the arch is local (Kamal builds locally then)',
    builder: 'builder:\n  arch: amd64\n  remote: ssh://builder@1.2.3.4\n',
    expected: {},
  },
];

for (const c of SPEC_CASES) {
  test(`buildSpec: ${c.name}`, async () => {
    const config = await load((c.yml ?? BASE) + c.builder, { destination: c.destination, files: c.files });
    const spec = buildSpec(config, DIR, { noCache: c.noCache ?? false, daemonArch: c.daemonArch ?? 'amd64', env: c.env });
    assert.deepEqual(spec, { ...DEFAULT_SPEC, ...c.expected });
  });
}

const REFUSED: Array<{ builder: string; daemonArch?: string; message: string; details?: string[] }> = [
  { builder: 'arch: [amd64, arm64]', message: 'builder/arch: a multi-arch build (amd64, arm64) needs `docker buildx`, which Drover does not drive yet; set a single arch matching the local Docker (amd64)' },
  { builder: 'arch: arm64', message: 'builder/arch: building for arm64 on the local amd64 Docker daemon (emulation or a remote builder) needs `docker buildx`, which Drover does not drive yet' },
  { builder: 'arch: arm64\n  remote: ssh://me@arm-box', message: 'builder/arch: building for arm64 on the remote builder ssh://me@arm-box needs `docker buildx`, which Drover does not drive yet' },
  { builder: 'arch: amd64\n  secrets: [GITHUB_TOKEN]', message: "builder/secrets: build secrets (--secret) are not supported by Drover's Engine API build yet" },
  { builder: 'arch: amd64\n  ssh: default=$SSH_AUTH_SOCK', message: "builder/ssh: SSH forwarding (--ssh) is not supported by Drover's Engine API build yet" },
  { builder: 'arch: amd64\n  cache:\n    type: registry', message: "builder/cache: cache export/import (--cache-to/--cache-from) is not supported by Drover's Engine API build yet" },
  { builder: 'arch: amd64\n  pack:\n    builder: heroku/builder:24', message: "builder/pack: buildpacks (the `pack` CLI) are not supported by Drover's Engine API build yet" },
  { builder: 'arch: amd64\n  driver: cloud org/builder', message: 'builder/driver: Docker Build Cloud (cloud org/builder) needs `docker buildx`, which Drover does not drive yet' },
  { builder: 'arch: amd64\n  provenance: mode=max', message: "builder/provenance: provenance attestations are not supported by Drover's Engine API build yet (use provenance: false)" },
  { builder: 'arch: amd64\n  sbom: true', message: "builder/sbom: SBOM attestations are not supported by Drover's Engine API build yet" },
  {
    builder: 'arch: amd64\n  local: false\n  remote: ssh://me@box\n  secrets: [A]',
    message: "builder: 2 settings are not supported by Drover's Engine API build yet",
    details: [
      'builder/local: remote-only builds (local: false) needs `docker buildx`, which Drover does not drive yet',
      "builder/secrets: build secrets (--secret) are not supported by Drover's Engine API build yet",
    ],
  },
];

for (const r of REFUSED) {
  test(`buildSpec refuses: ${r.builder.split('\n')[0]}${r.builder.includes('\n') ? ' …' : ''}`, async () => {
    const config = await load(`${BASE}builder:\n  ${r.builder}\n`);
    assert.throws(
      () => buildSpec(config, DIR, { noCache: false, daemonArch: r.daemonArch ?? 'amd64' }),
      (err: unknown) => isUserError(err) && err.message === r.message && JSON.stringify(err.details) === JSON.stringify(r.details ?? []),
    );
  });
}

test('normalizeArch: docker info names to Kamal names', () => {
  assert.equal(normalizeArch('x86_64'), 'amd64');
  assert.equal(normalizeArch('aarch64'), 'arm64');
  assert.equal(normalizeArch('riscv64'), 'riscv64');
});

// --- .dockerignore ---------------------------------------------------------------------------------

test('parseDockerignore: comments, blanks, trimming, cleaning, leading slash, exceptions, BOM', () => {
  assert.deepEqual(parseDockerignore('\uFEFF# comment\n\n  node_modules/  \n/tmp\n./a/../b\n! keep.md\n  # not a comment\r\n'), ['node_modules', 'tmp', 'b', '!keep.md', '# not a comment']);
});

const IGNORE_CASES: Array<{ patterns: string; path: string; ignored: boolean }> = [
  { patterns: 'node_modules', path: 'node_modules', ignored: true },
  { patterns: 'node_modules', path: 'node_modules/x/y.js', ignored: true },
  { patterns: 'node_modules', path: 'src/node_modules', ignored: false },
  { patterns: '*.log', path: 'debug.log', ignored: true },
  { patterns: '*.log', path: 'logs/debug.log', ignored: false },
  { patterns: '*/*.log', path: 'logs/debug.log', ignored: true },
  { patterns: '**/*.log', path: 'a/b/c/debug.log', ignored: true },
  { patterns: '**/*.log', path: 'debug.log', ignored: true },
  { patterns: 'tmp/**', path: 'tmp/a/b', ignored: true },
  { patterns: 'tmp/**', path: 'tmp', ignored: false },
  { patterns: '**', path: 'anything/at/all', ignored: true },
  { patterns: 'doc?.md', path: 'doc1.md', ignored: true },
  { patterns: 'doc?.md', path: 'doc12.md', ignored: false },
  { patterns: 'file[0-9].txt', path: 'file7.txt', ignored: true },
  { patterns: 'file[0-9].txt', path: 'filex.txt', ignored: false },
  { patterns: 'a.b', path: 'axb', ignored: false },
  { patterns: '*.md\n!README.md', path: 'README.md', ignored: false },
  { patterns: '*.md\n!README.md', path: 'CHANGES.md', ignored: true },
  { patterns: '*.md\n!README.md\nREADME.md', path: 'README.md', ignored: true },
  { patterns: 'docs\n!docs/keep', path: 'docs/keep', ignored: false },
  { patterns: 'docs\n!docs/keep', path: 'docs/other', ignored: true },
  { patterns: '/config', path: 'config/deploy.yml', ignored: true },
  { patterns: '.git', path: '.git/HEAD', ignored: true },
  { patterns: '.git', path: '.github/workflows', ignored: false },
  { patterns: 'my\\*file', path: 'my*file', ignored: true },
  { patterns: 'my\\*file', path: 'myXfile', ignored: false },
];

for (const c of IGNORE_CASES) {
  test(`dockerignore: ${JSON.stringify(c.patterns)} ${c.ignored ? 'ignores' : 'keeps'} ${c.path}`, () => {
    assert.equal(DockerIgnore.fromText(c.patterns).ignores(c.path), c.ignored);
  });
}

test('dockerignore: a lone "!" is an error; exceptions make the walk enter ignored directories', () => {
  assert.throws(() => DockerIgnore.fromText('!'), /illegal exclusion pattern/);
  const ig = DockerIgnore.fromText('docs\n!docs/keep/me.md');
  assert.equal(ig.mustDescend('docs'), true);
  assert.equal(ig.mustDescend('docs/keep'), true);
  assert.equal(ig.mustDescend('other'), false);
  // The Dockerfile and .dockerignore are always sent.
  const kept = DockerIgnore.fromText('*\n').keeping(['.dockerignore', 'Dockerfile']);
  assert.equal(kept.ignores('Dockerfile'), false);
  assert.equal(kept.ignores('.dockerignore'), false);
  assert.equal(kept.ignores('app.rb'), true);
});

function tempDir(prefix: string): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

test('listContext + tarStream: ignored paths left out, Dockerfile kept, long names, symlinks; a valid tar', async () => {
  const dir = tempDir('drover-ctx-');
  try {
    const long = `deep/${'d'.repeat(60)}/${'e'.repeat(60)}/file-with-a-long-name.txt`;
    write(dir, {
      '.dockerignore': '.git\n*.log\n!keep.log\nDockerfile\nsecrets\n!secrets/public.pem\n',
      Dockerfile: 'FROM scratch\n',
      'app.rb': 'puts 1\n',
      'debug.log': 'x',
      'keep.log': 'y',
      '.git/HEAD': 'ref',
      'secrets/private.pem': 'no',
      'secrets/public.pem': 'yes',
      [long]: 'long\n',
    });
    symlinkSync('app.rb', join(dir, 'link.rb'));
    const listing = listContext(dir, ['Dockerfile']);
    const names = listing.entries.map((e) => (e.type === 'dir' ? `${e.name}/` : e.name));
    assert.deepEqual(names, [
      '.dockerignore',
      'Dockerfile',
      'app.rb',
      'deep/',
      'deep/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/',
      'deep/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee/',
      long,
      'keep.log',
      'link.rb',
      'secrets/public.pem',
    ]);
    const tar = join(dir, '..', `${dir.split('/').pop()}.tar`);
    writeFileSync(tar, await buffer(tarStream(listing.entries, [{ name: '.dockerfile.abc', content: Buffer.from('FROM x\n') }])));
    try {
      const listed = execFileSync('tar', ['-tvf', tar], { encoding: 'utf8' });
      assert.match(listed, new RegExp(`${long.replace(/\./g, '\\.')}\\n`));
      assert.match(listed, /link\.rb -> app\.rb/);
      assert.match(listed, /\.dockerfile\.abc/);
      assert.equal(execFileSync('tar', ['-xOf', tar, long], { encoding: 'utf8' }), 'long\n');
      assert.equal(execFileSync('tar', ['-xOf', tar, 'secrets/public.pem'], { encoding: 'utf8' }), 'yes');
      assert.match(listed, /root\/root/);
    } finally {
      rmSync(tar, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- the git clone -----------------------------------------------------------------------------------

test('cloneDirectory / buildDirectory: Kamal\'s naming (13 hex digits of sha256(pwd), repo basename, relative pwd)', () => {
  assert.equal(cloneDirectory('app', '/home/me/app', '/tmp'), '/tmp/kamal-clones/app-fd865ce82eb8c');
  assert.equal(cloneDirectory('shop', '/work/projects/shop', '/var/tmp'), '/var/tmp/kamal-clones/shop-d8a850526d0d9');
  assert.equal(buildDirectory('/tmp/kamal-clones/app-fd865ce82eb8c', '/home/me/app', '/home/me/app'), '/tmp/kamal-clones/app-fd865ce82eb8c/app');
  assert.equal(buildDirectory('/tmp/kamal-clones/app-x', '/home/me/mono', '/home/me/mono/services/web'), '/tmp/kamal-clones/app-x/mono/services/web');
});

test('kamalTmpdir: $TMPDIR, then $TMP, then $TEMP, then /tmp', () => {
  const dir = tempDir('drover-tmpdir-');
  try {
    assert.equal(kamalTmpdir({ TMPDIR: `${dir}/` }), dir);
    assert.equal(kamalTmpdir({ TMPDIR: '/does/not/exist', TMP: dir }), dir);
    assert.equal(kamalTmpdir({ TEMP: dir }), dir);
    assert.equal(kamalTmpdir({}), '/tmp');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=T', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' }).trim();
}

test('prepareClone: clones HEAD, refreshes an existing clone, re-clones a broken one; uncommitted changes stay out', async () => {
  const tmp = tempDir('drover-clone-tmp-');
  const repo = join(tempDir('drover-clone-repo-'), 'myrepo');
  mkdirSync(join(repo, 'services/web'), { recursive: true });
  try {
    git(repo, 'init', '-q');
    write(repo, { 'services/web/Dockerfile': 'FROM scratch\n', 'services/web/v.txt': 'one\n' });
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'one');
    const env = { ...process.env, TMPDIR: tmp };
    const runner = gitRunner(env);
    const projectDir = join(repo, 'services/web');
    const lines: string[] = [];
    const say = (l: string) => lines.push(l);

    const state = await readGitState(projectDir, runner);
    assert.ok(state);
    assert.equal(state.root, repo);
    assert.equal(state.uncommittedChanges, '');
    const first = await prepareClone(state, { service: 'web', projectDir, git: runner, env, say });
    const expectedClone = cloneDirectory('web', projectDir, tmp);
    assert.equal(first.cloneDir, expectedClone);
    assert.equal(first.buildDir, join(expectedClone, 'myrepo/services/web'));
    assert.equal(git(first.buildDir, 'cat-file', '-p', 'HEAD:services/web/v.txt'), 'one');
    assert.deepEqual(lines, [`Cloning repo into build directory \`${first.buildDir}\`...`]);

    // A new commit plus an uncommitted change: the existing clone is reset to HEAD, the change stays out.
    write(repo, { 'services/web/v.txt': 'two\n' });
    git(repo, 'commit', '-qam', 'two');
    write(repo, { 'services/web/v.txt': 'dirty\n' });
    const state2 = (await readGitState(projectDir, runner))!;
    assert.equal(state2.uncommittedChanges, 'M services/web/v.txt');
    lines.length = 0;
    const second = await prepareClone(state2, { service: 'web', projectDir, git: runner, env, say });
    assert.deepEqual(lines, [`Cloning repo into build directory \`${second.buildDir}\`...`, `Resetting local clone as \`${second.buildDir}\` already exists...`]);
    assert.equal(execFileSync('cat', [join(second.buildDir, 'v.txt')], { encoding: 'utf8' }), 'two\n');
    assert.equal(git(second.buildDir, 'rev-parse', 'HEAD'), state2.revision);

    // A clone whose origin can't be fetched any more is deleted and cloned again.
    git(join(second.cloneDir, 'myrepo'), 'remote', 'set-url', 'origin', '/nonexistent');
    write(second.cloneDir, { 'myrepo/.git/config': 'garbage' });
    lines.length = 0;
    const third = await prepareClone(state2, { service: 'web', projectDir, git: runner, env, say });
    assert.equal(lines[0], `Cloning repo into build directory \`${third.buildDir}\`...`);
    assert.match(lines[1]!, /^Resetting local clone|^Error preparing clone: /);
    assert.ok(lines.some((l) => /^Error preparing clone: .*, deleting and retrying\.\.\.$/.test(l)), lines.join('\n'));
    assert.equal(git(third.buildDir, 'rev-parse', 'HEAD'), state2.revision);

    // Outside a repository there is no git state.
    assert.equal(await readGitState(tmp, runner), null);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(join(repo, '..'), { recursive: true, force: true });
  }
});

test('a repository without commits: no revision; a git-clone build of it is refused clearly', async () => {
  const repo = tempDir('drover-clone-empty-');
  try {
    git(repo, 'init', '-q');
    write(repo, { Dockerfile: 'FROM scratch\n' });
    const runner = gitRunner();
    const state = await readGitState(repo, runner);
    assert.deepEqual(state, { root: repo, revision: null, uncommittedChanges: '?? Dockerfile' });
    await assert.rejects(
      prepareClone(state!, { service: 'app', projectDir: repo, git: runner, say: () => {} }),
      (err: unknown) => isUserError(err) && err.message === `Can't build from a git clone of ${repo}: it has no commit yet (commit, or set builder.context to build the working tree)`,
    );
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});
