import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient, removeDir, run, startController, tempDir, CONTROLLER_MAIN, type ControllerProc } from '../../e2e/harness.js';
import { drover as inProcess } from './cli-test-support.js';

const FP = 'sha256:' + 'c'.repeat(64);

describe('drover login --context and drover context (real controller)', () => {
  let dir: string;
  let ctl: ControllerProc;
  let adminToken: string;
  let readToken: string;
  let cfg: string;
  let env: NodeJS.ProcessEnv;
  const credsFile = () => join(cfg, 'credentials.json');
  const stored = () => JSON.parse(readFileSync(credsFile(), 'utf8'));
  const drover = (args: string[], extra: NodeJS.ProcessEnv = {}) => run(CONTROLLER_MAIN, args, { ...env, ...extra });
  /** Nothing drover printed may contain a token. */
  const noTokens = (r: { out: string; err: string }) => {
    for (const t of [adminToken, readToken, 'legacy-secret-token']) {
      assert.ok(!r.out.includes(t) && !r.err.includes(t), `a token was printed:\n${r.out}\n${r.err}`);
    }
  };

  before(async () => {
    dir = tempDir('cli-context');
    ctl = await startController(join(dir, 'ctl'));
    const admin = await adminClient(ctl);
    await admin.client.close();
    adminToken = admin.token;
    const reader = await adminClient(ctl, 'read');
    await reader.client.close();
    readToken = reader.token;
    cfg = join(dir, 'cfg');
    // The CI overrides are unset so the file decides.
    env = { DROVER_CONFIG_DIR: cfg, DROVER_CONTROLLER: '', DROVER_TOKEN: '', DROVER_FINGERPRINT: '', DROVER_CONTEXT: '' };
  });
  after(async () => {
    await ctl?.proc.stop();
    if (dir) removeDir(dir);
  });

  test('an old single-login file reads as "default"; login --context demo --no-use leaves it current', async () => {
    mkdirSync(cfg, { recursive: true, mode: 0o700 });
    writeFileSync(credsFile(), JSON.stringify({ controller: ctl.url, token: adminToken, fingerprint: ctl.fingerprint }));
    const list = await drover(['context', 'list']);
    assert.equal(list.code, 0, list.err);
    assert.deepEqual(list.out.trimEnd().split('\n').map((l) => l.split(/\s{2,}/)), [['CURRENT', 'NAME', 'CONTROLLER'], ['*', 'default', ctl.url]]);
    noTokens(list);
    const agents = await drover(['agents', '--json']);
    assert.equal(agents.code, 0, agents.err);

    const login = await drover(['login', ctl.url, '--token', readToken, '--context', 'demo', '--no-use', '--fingerprint', ctl.fingerprint]);
    assert.equal(login.code, 0, login.err);
    assert.match(login.out, /with scope read; saved context "demo" \(not current: "default" still is\) in .*credentials\.json/);
    noTokens(login);
    assert.deepEqual(stored(), {
      current: 'default',
      contexts: {
        default: { controller: ctl.url, token: adminToken, fingerprint: ctl.fingerprint },
        demo: { controller: ctl.url, token: readToken, fingerprint: ctl.fingerprint },
      },
    });
    assert.equal(statSync(credsFile()).mode & 0o777, 0o600);
  });

  test('login pins and makes the context current; DROVER_CONTEXT and `context use` pick the context commands use', async () => {
    const login = await drover(['login', ctl.url, '--token', readToken, '--context', 'reader']);
    assert.equal(login.code, 0, login.err);
    assert.match(login.err, new RegExp(`pinning the controller's TLS key ${ctl.fingerprint}`));
    assert.match(login.out, /saved context "reader" \(now current\)/);
    assert.equal(stored().current, 'reader');
    assert.deepEqual(stored().contexts.reader, { controller: ctl.url, token: readToken, fingerprint: ctl.fingerprint });
    assert.equal(stored().contexts.default.token, adminToken, 'other contexts are untouched');

    // Minting a join token needs admin scope: it tells which token a command used.
    const asReader = await drover(['agents', 'token', '--name', 'x']);
    assert.notEqual(asReader.code, 0);
    assert.match(asReader.err, /this token has scope read; admin is required/);
    const viaEnv = await drover(['agents', 'token', '--name', 'x'], { DROVER_CONTEXT: 'default' });
    assert.equal(viaEnv.code, 0, viaEnv.err);
    const used = await drover(['context', 'use', 'default']);
    assert.equal(used.code, 0, used.err);
    assert.equal(used.out, `switched to context "default" (${ctl.url})\n`);
    assert.equal((await drover(['agents', 'token', '--name', 'y'])).code, 0);
    const viaEnvReader = await drover(['agents', 'token', '--name', 'z'], { DROVER_CONTEXT: 'reader' });
    assert.match(viaEnvReader.err, /scope read/);
    // The CI variables still win over the context.
    const ci = await drover(['agents', 'token', '--name', 'w'], { DROVER_TOKEN: readToken });
    assert.match(ci.err, /scope read/);
  });

  test("--context, and a project's `x-drover: controller:` (a context name or a controller URL), choose the context", async () => {
    const project = join(dir, 'project');
    const deployYml = (controller: string) => `service: app\nimage: acme/app\nservers: [web-1]\nx-drover:\n  controller: ${controller}\n`;
    mkdirSync(join(project, 'config'), { recursive: true });
    writeFileSync(join(project, 'config', 'deploy.yml'), deployYml('reader'));
    const inProject = (args: string[], extra: NodeJS.ProcessEnv = {}) => inProcess(args, project, { ...env, ...extra } as Record<string, string>);
    // "default" (admin) is current; the project names "reader".
    assert.match((await inProject(['agents', 'token', '--name', 'p1'])).stderr, /scope read; admin is required/);
    assert.equal((await inProject(['agents', 'token', '--name', 'p2', '--context', 'default'])).code, 0);
    assert.equal((await inProject(['agents', 'token', '--name', 'p3'], { DROVER_CONTEXT: 'default' })).code, 0);
    writeFileSync(join(project, 'config', 'deploy.yml'), deployYml('https://elsewhere.test:7443'));
    const unknown = await inProject(['agents']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /x-drover\/controller: no saved context for https:\/\/elsewhere\.test:7443; log in with `drover login https:\/\/elsewhere\.test:7443/);
    writeFileSync(join(project, 'config', 'deploy.yml'), deployYml('nope'));
    assert.match((await inProject(['agents'])).stderr, /context "nope" not found .*\(named by x-drover\/controller in deploy\.yml\)/);
    // Outside a project the current context applies.
    assert.equal((await inProcess(['agents', 'token', '--name', 'p4'], dir, env as Record<string, string>)).code, 0);
  });

  test('an unknown context is an error that names it and the contexts there are', async () => {
    const r = await drover(['agents'], { DROVER_CONTEXT: 'staging' });
    assert.equal(r.code, 1);
    assert.equal(r.err, 'drover: context "staging" not found (contexts: default, demo, reader); see `drover context list` (named by DROVER_CONTEXT)\n');
    const use = await drover(['context', 'use', 'staging']);
    assert.equal(use.code, 1);
    assert.equal(use.err, 'drover: context "staging" not found (contexts: default, demo, reader); see `drover context list`\n');
    const show = await drover(['context', 'show', 'constructor']);
    assert.match(show.err, /context "constructor" not found/);
    const rm = await drover(['context', 'remove', 'staging']);
    assert.equal(rm.code, 1);
    const badName = await drover(['login', ctl.url, '--token', 't', '--context', '../evil']);
    assert.equal(badName.code, 64);
    assert.match(badName.err, /--context: "\.\.\/evil" is not a valid name/);
    for (const args of [['context', 'frob'], ['context', 'use'], ['context', 'use', 'a', 'b'], ['context', 'show', 'a', 'b'], ['context', 'list', '--bogus']]) {
      assert.equal((await drover(args)).code, 64, args.join(' '));
    }
  });

  test('list and show print URLs and pins, never tokens', async () => {
    const list = await drover(['context', 'list']);
    assert.deepEqual(list.out.trimEnd().split('\n').map((l) => l.split(/\s{2,}/)), [
      ['CURRENT', 'NAME', 'CONTROLLER'], ['*', 'default', ctl.url], ['', 'demo', ctl.url], ['', 'reader', ctl.url],
    ]);
    assert.match(list.out, /^ {9}demo {2}/m);
    const json = await drover(['context', 'list', '--json'], { DROVER_CONTEXT: 'demo' });
    assert.deepEqual(JSON.parse(json.out), {
      current: 'default',
      selected: 'demo',
      contexts: ['default', 'demo', 'reader'].map((name) => ({ name, current: name === 'default', controller: ctl.url, fingerprint: ctl.fingerprint })),
    });
    assert.match(json.err, /DROVER_CONTEXT=demo selects context "demo"/);
    const show = await drover(['context', 'show']);
    assert.equal(show.code, 0, show.err);
    assert.equal(show.out, `context:     default (current)\ncontroller:  ${ctl.url}\nfingerprint: ${ctl.fingerprint}\ntoken:       [REDACTED]\n`);
    const showEnv = await drover(['context', 'show', '--json'], { DROVER_CONTEXT: 'reader', DROVER_TOKEN: 'ci-token' });
    assert.deepEqual(JSON.parse(showEnv.out), { name: 'reader', current: false, controller: ctl.url, fingerprint: ctl.fingerprint, token: '[REDACTED]' });
    assert.match(showEnv.err, /DROVER_TOKEN overrides these values/);
    const showDemo = await drover(['context', 'show', 'demo', '--json']);
    assert.equal(JSON.parse(showDemo.out).name, 'demo');
    for (const r of [list, json, show, showEnv, showDemo]) noTokens(r);
  });

  test('remove: say what happened; removing the current one leaves none current unless one is left', async () => {
    writeFileSync(credsFile(), JSON.stringify({ ...stored(), contexts: { ...stored().contexts, plain: { controller: 'http://127.0.0.1:9', token: 'legacy-secret-token', fingerprint: null } } }));
    const plain = await drover(['context', 'show', 'plain']);
    assert.match(plain.out, /fingerprint: none \(ordinary CA verification\)/);
    noTokens(plain);
    const a = await drover(['context', 'remove', 'plain']);
    assert.equal(a.out, 'removed context "plain"; the current context is "default"\n');
    const b = await drover(['context', 'rm', 'default']);
    assert.equal(b.out, 'removed context "default", which was current; no context is current now: choose one with `drover context use NAME` (contexts: demo, reader)\n');
    assert.equal(stored().current, null);
    const none = await drover(['agents']);
    assert.equal(none.code, 1);
    assert.equal(none.err, 'drover: no current context (contexts: demo, reader): choose one with `drover context use NAME`, or set DROVER_CONTEXT\n');
    const list = await drover(['context']);
    assert.ok(!list.out.includes('*'));
    assert.match(list.err, /no context is current/);
    assert.equal((await drover(['context', 'use', 'demo'])).code, 0);
    const c = await drover(['context', 'remove', 'demo']);
    assert.equal(c.out, 'removed context "demo", which was current; "reader", the only context left, is now current\n');
    assert.equal((await drover(['agents', '--json'])).code, 0, 'reader is used');
    const d = await drover(['context', 'remove', 'reader']);
    assert.equal(d.out, 'removed context "reader", which was current; no contexts are left; log in with `drover login URL --token T`\n');
    assert.deepEqual(stored(), { current: null, contexts: {} });
    assert.equal(statSync(credsFile()).mode & 0o777, 0o600);
    const empty = await drover(['context', 'list']);
    assert.match(empty.out, /^no contexts;/);
    assert.deepEqual(JSON.parse((await drover(['context', 'list', '--json'])).out), { current: null, selected: null, contexts: [] });
    const notLoggedIn = await drover(['agents']);
    assert.match(notLoggedIn.err, /not logged in: run `drover login URL --token T`/);
    // --no-use into an empty file: the only context is current all the same.
    const solo = await drover(['login', ctl.url, '--token', readToken, '--fingerprint', ctl.fingerprint, '--context', 'solo', '--no-use']);
    assert.equal(solo.code, 0, solo.err);
    assert.match(solo.out, /saved context "solo" \(current: it is the only context\)/);
    // Logging in with no flags writes "default" and makes it current.
    const again = await drover(['login', ctl.url, '--token', adminToken, '--fingerprint', ctl.fingerprint]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /saved context "default" \(now current\)/);
    const creds = (token: string) => ({ controller: ctl.url, token, fingerprint: ctl.fingerprint });
    assert.deepEqual(stored(), { current: 'default', contexts: { default: creds(adminToken), solo: creds(readToken) } });
    const relogin = await drover(['login', ctl.url, '--token', readToken, '--fingerprint', ctl.fingerprint, '--context', 'default', '--no-use'], { DROVER_CONTEXT: 'solo' });
    assert.match(relogin.out, /replaced context "default" \(it is the current context\)/);
    assert.match(relogin.err, /note: DROVER_CONTEXT=solo selects context "solo" in this shell, not "default"/);
    assert.deepEqual(stored(), { current: 'default', contexts: { default: creds(readToken), solo: creds(readToken) } });
    noTokens(relogin);
  });

  test('a context whose pin no longer matches is refused (the pin travels with its context)', async () => {
    writeFileSync(credsFile(), JSON.stringify({ current: 'default', contexts: { ...stored().contexts, wrong: { controller: ctl.url, token: adminToken, fingerprint: FP } } }));
    const r = await drover(['agents'], { DROVER_CONTEXT: 'wrong' });
    assert.notEqual(r.code, 0);
    assert.match(r.err, /refusing to talk to it/);
    assert.equal((await drover(['agents'])).code, 0);
  });
});
