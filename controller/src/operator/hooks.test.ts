import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError, UserError } from '@drover/shared/errors';
import { existingHooks, hookLevel, hookOutputFor, HOOKS_WITH_SECRETS, kamalHookEnv, runHook, type HookEnvDetails, type HookName, type HookRunOptions } from './hooks.js';

const DETAILS: HookEnvDetails = {
  recordedAt: new Date('2026-03-04T05:06:07.891Z'),
  performer: 'deployer@example.com',
  version: '75bf6fa40b975cbd8aec05abf7164e0982f185ac',
  service: 'app',
  destination: null,
  hosts: ['vm1', 'vm2'],
  roles: null,
  lock: false,
  command: 'deploy',
  subcommand: null,
};

test('kamalHookEnv: the minimal set, exactly', () => {
  assert.deepEqual(kamalHookEnv(DETAILS), {
    KAMAL_RECORDED_AT: '2026-03-04T05:06:07Z',
    KAMAL_PERFORMER: 'deployer@example.com',
    KAMAL_VERSION: '75bf6fa40b975cbd8aec05abf7164e0982f185ac',
    KAMAL_SERVICE_VERSION: 'app@75bf6fa',
    KAMAL_SERVICE: 'app',
    KAMAL_HOSTS: 'vm1,vm2',
    KAMAL_LOCK: 'false',
    KAMAL_COMMAND: 'deploy',
  });
});

test('kamalHookEnv: destination, roles, subcommand, lock and runtime when given', () => {
  assert.deepEqual(
    kamalHookEnv({ ...DETAILS, version: 'abc_uncommitted_0123', destination: 'staging', roles: ['web', 'workers'], lock: true, command: 'app', subcommand: 'boot', runtimeSeconds: 12.5 }),
    {
      KAMAL_RECORDED_AT: '2026-03-04T05:06:07Z',
      KAMAL_PERFORMER: 'deployer@example.com',
      KAMAL_DESTINATION: 'staging',
      KAMAL_VERSION: 'abc_uncommitted_0123',
      KAMAL_SERVICE_VERSION: 'app@abc_uncommitted_0123',
      KAMAL_SERVICE: 'app',
      KAMAL_HOSTS: 'vm1,vm2',
      KAMAL_ROLES: 'web,workers',
      KAMAL_LOCK: 'true',
      KAMAL_COMMAND: 'app',
      KAMAL_SUBCOMMAND: 'boot',
      KAMAL_RUNTIME: '13',
    },
  );
  assert.equal(kamalHookEnv({ ...DETAILS, runtimeSeconds: 0.4 }).KAMAL_RUNTIME, '0');
  assert.equal(kamalHookEnv({ ...DETAILS, hosts: [] }).KAMAL_HOSTS, '');
});

test('HOOKS_WITH_SECRETS are pre-connect, pre-deploy and post-deploy', () => {
  assert.deepEqual([...HOOKS_WITH_SECRETS].sort(), ['post-deploy', 'pre-connect', 'pre-deploy']);
});

test('hooks_output per hook and the verbosity rule', () => {
  assert.equal(hookOutputFor(null, 'pre-deploy'), null);
  assert.equal(hookOutputFor('quiet', 'pre-deploy'), 'quiet');
  assert.equal(hookOutputFor({ 'pre-deploy': 'verbose' }, 'pre-deploy'), 'verbose');
  assert.equal(hookOutputFor({ 'pre-deploy': 'verbose' }, 'post-deploy'), null);
  assert.equal(hookLevel(null, 'normal'), 'normal');
  assert.equal(hookLevel('verbose', 'normal'), 'verbose');
  assert.equal(hookLevel('quiet', 'normal'), 'quiet');
  assert.equal(hookLevel('quiet', 'verbose'), 'verbose'); // -v wins
  assert.equal(hookLevel('verbose', 'quiet'), 'quiet'); // -q wins
});

interface Project {
  dir: string;
  hook(name: string, body: string, mode?: number): void;
  opts(over?: Partial<HookRunOptions>): HookRunOptions & { lines: string[] };
}

async function withProject(fn: (p: Project) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-hooks-'));
  try {
    mkdirSync(join(dir, '.kamal/hooks'), { recursive: true });
    await fn({
      dir,
      hook(name, body, mode = 0o755) {
        writeFileSync(join(dir, '.kamal/hooks', name), `#!/bin/sh\n${body}\n`);
        chmodSync(join(dir, '.kamal/hooks', name), mode);
      },
      opts(over = {}) {
        const lines: string[] = [];
        return {
          projectDir: dir,
          hooksPath: '.kamal/hooks',
          output: null,
          verbosity: 'normal',
          env: kamalHookEnv(DETAILS),
          say: (line: string) => lines.push(line),
          baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
          lines,
          ...over,
        };
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('runHook: the hook sees exactly the KAMAL_* variables, runs in the project directory', async () => {
  await withProject(async (p) => {
    p.hook('pre-build', 'env | grep ^KAMAL_ | sort > "$PWD/env.out"');
    const o = p.opts({ env: kamalHookEnv({ ...DETAILS, destination: 'staging', roles: ['web'], lock: true, command: 'build', subcommand: 'push' }) });
    assert.equal(await runHook('pre-build', o), 'ran');
    assert.equal(readFileSync(join(p.dir, 'env.out'), 'utf8'), [
      'KAMAL_COMMAND=build',
      'KAMAL_DESTINATION=staging',
      'KAMAL_HOSTS=vm1,vm2',
      'KAMAL_LOCK=true',
      'KAMAL_PERFORMER=deployer@example.com',
      'KAMAL_RECORDED_AT=2026-03-04T05:06:07Z',
      'KAMAL_ROLES=web',
      'KAMAL_SERVICE=app',
      'KAMAL_SERVICE_VERSION=app@75bf6fa',
      'KAMAL_SUBCOMMAND=push',
      'KAMAL_VERSION=75bf6fa40b975cbd8aec05abf7164e0982f185ac',
      '',
    ].join('\n'));
    assert.deepEqual(o.lines, ['Running the pre-build hook...']);
  });
});

test('runHook: secrets only for pre-connect, pre-deploy and post-deploy', async () => {
  await withProject(async (p) => {
    const names: HookName[] = ['pre-connect', 'pre-build', 'pre-deploy', 'post-deploy', 'pre-app-boot', 'post-app-boot', 'docker-setup', 'pre-proxy-reboot', 'post-proxy-reboot'];
    for (const name of names) p.hook(name, `echo "\${DB_PASSWORD-unset} \${KAMAL_SERVICE}" > "$PWD/${name}.out"`);
    for (const name of names) {
      assert.equal(await runHook(name, p.opts({ secrets: { DB_PASSWORD: 's3cret-value' } })), 'ran');
      const expected = HOOKS_WITH_SECRETS.includes(name) ? 's3cret-value app\n' : 'unset app\n';
      assert.equal(readFileSync(join(p.dir, `${name}.out`), 'utf8'), expected, name);
    }
  });
});

test('runHook: an absent hook (a .sample does not count) resolves "absent" and prints nothing', async () => {
  await withProject(async (p) => {
    p.hook('pre-deploy.sample', 'exit 1');
    const o = p.opts({ verbosity: 'verbose' });
    assert.equal(await runHook('pre-deploy', o), 'absent');
    assert.deepEqual(o.lines, []);
  });
});

async function failure(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isUserError(err), String(err));
    return err;
  }
  throw new Error('expected the hook to fail');
}

test('runHook: a failing hook throws Kamal\'s message with exit status, stdout and stderr; exit code 1', async () => {
  await withProject(async (p) => {
    p.hook('pre-build', 'echo "About to build"\necho "not on main" >&2\nexit 3');
    const err = await failure(runHook('pre-build', p.opts()));
    assert.equal(err.message, [
      'Hook `pre-build` failed:',
      '.kamal/hooks/pre-build exit status: 3',
      '.kamal/hooks/pre-build stdout: About to build',
      '.kamal/hooks/pre-build stderr: not on main',
    ].join('\n'));
    assert.equal(err.exitCode, 1);

    p.hook('post-deploy', 'exit 1');
    const silent = await failure(runHook('post-deploy', p.opts()));
    assert.equal(silent.message, [
      'Hook `post-deploy` failed:',
      '.kamal/hooks/post-deploy exit status: 1',
      '.kamal/hooks/post-deploy stdout: Nothing written',
      '.kamal/hooks/post-deploy stderr: Nothing written',
    ].join('\n'));
  });
});

test('runHook: a hook that is not executable fails instead of being skipped', async () => {
  await withProject(async (p) => {
    p.hook('pre-deploy', 'exit 0', 0o644);
    const err = await failure(runHook('pre-deploy', p.opts()));
    assert.match(err.message, /^Hook `pre-deploy` failed:\n\.kamal\/hooks\/pre-deploy exit status: 126\n/);
    assert.match(err.message, /not executable/);
  });
});

test('runHook: output per level — quiet shows nothing, normal the Running line, verbose the output too', async () => {
  await withProject(async (p) => {
    p.hook('pre-deploy', 'echo "Deployed!"\necho "to stderr" >&2\nprintf "no newline"');
    const quiet = p.opts({ verbosity: 'quiet' });
    await runHook('pre-deploy', quiet);
    assert.deepEqual(quiet.lines, []);

    const normal = p.opts();
    await runHook('pre-deploy', normal);
    assert.deepEqual(normal.lines, ['Running the pre-deploy hook...']);

    const verbose = p.opts({ verbosity: 'verbose' });
    await runHook('pre-deploy', verbose);
    assert.deepEqual(verbose.lines.slice(0, 1), ['Running the pre-deploy hook...']);
    assert.deepEqual([...verbose.lines.slice(1)].sort(), ['Deployed!', 'no newline', 'to stderr']);

    // hooks_output decides at the default verbosity.
    const configuredQuiet = p.opts({ output: 'quiet' });
    await runHook('pre-deploy', configuredQuiet);
    assert.deepEqual(configuredQuiet.lines, []);
    const configuredVerbose = p.opts({ output: 'verbose' });
    await runHook('pre-deploy', configuredVerbose);
    assert.ok(configuredVerbose.lines.includes('Deployed!'));
    // -v beats hooks_output: quiet.
    const cliVerbose = p.opts({ output: 'quiet', verbosity: 'verbose' });
    await runHook('pre-deploy', cliVerbose);
    assert.ok(cliVerbose.lines.includes('Deployed!'));
  });
});

test('runHook: at the quiet level a failure does not print the hook\'s output either', async () => {
  await withProject(async (p) => {
    p.hook('pre-build', 'echo "private stdout"\necho "private stderr" >&2\nexit 2');
    const o = p.opts({ output: 'quiet' });
    const err = await failure(runHook('pre-build', o));
    assert.deepEqual(o.lines, []);
    assert.equal(err.message, [
      'Hook `pre-build` failed:',
      '.kamal/hooks/pre-build exit status: 2',
      '.kamal/hooks/pre-build stdout and stderr: not shown (hooks output is quiet)',
    ].join('\n'));
    assert.ok(!err.message.includes('private'));
  });
});

test('runHook: secret values are redacted from what is printed', async () => {
  await withProject(async (p) => {
    p.hook('pre-deploy', 'echo "password is $DB_PASSWORD"\nexit 1');
    const o = p.opts({ verbosity: 'verbose', secrets: { DB_PASSWORD: 'hunter2-long-secret' } });
    const err = await failure(runHook('pre-deploy', o));
    assert.ok(o.lines.includes('password is [REDACTED]'), o.lines.join('\n'));
    assert.ok(!err.message.includes('hunter2'));
    assert.match(err.message, /stdout: password is \[REDACTED\]/);
  });
});

test('runHook: an absolute hooks_path', async () => {
  await withProject(async (p) => {
    const abs = join(p.dir, 'elsewhere');
    mkdirSync(abs);
    writeFileSync(join(abs, 'docker-setup'), '#!/bin/sh\ntouch "$PWD/setup.ran"\n', { mode: 0o755 });
    assert.equal(await runHook('docker-setup', p.opts({ hooksPath: abs })), 'ran');
    assert.ok(readFileSync(join(p.dir, 'setup.ran')));
  });
});

test('runHook: an abort signal stops a running hook', async () => {
  await withProject(async (p) => {
    p.hook('pre-connect', 'echo started > "$PWD/started"\nexec sleep 30');
    const ac = new AbortController();
    const running = runHook('pre-connect', p.opts({ signal: ac.signal }));
    const deadline = Date.now() + 10_000;
    while (true) {
      try {
        readFileSync(join(p.dir, 'started'));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error('hook did not start');
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    ac.abort(new Error('cancelled'));
    await assert.rejects(running, /cancelled/);
  });
});

test('existingHooks: real hook files only, in Kamal order', async () => {
  await withProject(async (p) => {
    p.hook('post-deploy', 'true');
    p.hook('pre-build', 'true');
    p.hook('pre-deploy.sample', 'true');
    p.hook('unknown-hook', 'true');
    assert.deepEqual(existingHooks(p.dir, '.kamal/hooks'), ['pre-build', 'post-deploy']);
    assert.deepEqual(existingHooks(p.dir, 'missing/dir'), []);
  });
});
