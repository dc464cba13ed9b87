import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadControllerIdentity } from '../../auth/controller-identity.js';
import { hashOperatorToken } from '../../auth/operator-token.js';
import { removeDir, startController, tempDir } from '../../e2e/harness.js';
import { runCli } from '../framework/run.js';
import type { CommandSpec } from '../framework/spec.js';
import { bufferIO } from '../framework/test-io.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { controllerServiceCommands, FIRST_ADMIN_TOKEN, type ServiceHost } from './controller-service.js';
import { drover } from './cli-test-support.js';

/** A machine whose systemd and root-ness the test decides, and whose systemctl calls it records. */
function fakeHost(dir: string, over: Partial<ServiceHost> = {}): ServiceHost & { calls: string[][]; units: Record<string, string> } {
  const calls: string[][] = [];
  const units: Record<string, string> = {};
  return {
    node: '/usr/bin/node', drover: '/opt/drover/dist/drover/main.js', unitDir: join(dir, 'units'), privateTmpDirs: [],
    hasSystemd: () => true, isRoot: () => true,
    writeUnit: (path, text) => { units[path] = text; },
    systemctl: (args) => { calls.push(args); },
    calls, units, ...over,
  };
}

async function run(host: ServiceHost, args: string[], cwd: string) {
  const tree: CommandSpec = { name: 'drover', summary: '', subcommands: [{ name: 'controller', summary: '', kamalGlobals: false, subcommands: controllerServiceCommands(() => host) }] };
  const io = bufferIO({ cwd, env: { PATH: process.env.PATH ?? '' } });
  const code = await runCli(tree, ['controller', ...args], io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('drover controller install (a fake systemd host, in-process)', () => {
  let dir: string;
  before(() => { dir = tempDir('ctl-install'); });
  after(() => removeDir(dir));

  test('--dry-run prints the unit and writes nothing', async () => {
    const host = fakeHost(dir);
    const dataDir = join(dir, 'dry');
    const r = await run(host, ['install', '--dry-run', '--listen', '0.0.0.0:443', '--public-url', 'https://ctl.example.com', '--data-dir', dataDir], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^ExecStart=/usr/bin/node /opt/drover/dist/drover/main.js controller serve --listen 0.0.0.0:443 --data-dir ${dataDir} --public-url https://ctl.example.com$`, 'm'));
    assert.ok(r.stdout.endsWith('WantedBy=multi-user.target\n'));
    assert.deepEqual([host.calls, host.units, existsSync(dataDir)], [[], {}, false]);
  });

  test('writes the unit, makes the data dir 0700, enables and starts it, and prints the fingerprint and an admin token once', async () => {
    const host = fakeHost(dir);
    const dataDir = join(dir, 'state');
    const first = await run(host, ['install', '--listen', '127.0.0.1:7443', '--data-dir', dataDir], dir);
    assert.equal(first.code, 0, first.stderr);
    const unitPath = join(dir, 'units', 'drover-controller.service');
    assert.match(host.units[unitPath] ?? '', new RegExp(`^ExecStart=/usr/bin/node /opt/drover/dist/drover/main.js controller serve --listen 127.0.0.1:7443 --data-dir ${dataDir}$`, 'm'));
    assert.deepEqual(host.calls, [['daemon-reload'], ['enable', 'drover-controller.service'], ['restart', 'drover-controller.service']]);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);

    const { fingerprint } = loadControllerIdentity(dataDir);
    const token = first.stdout.trim();
    assert.match(token, /^drv_op_\S+$/);
    assert.equal(first.stderr, [
      `wrote ${unitPath}; drover-controller.service is enabled and started (systemctl status drover-controller; journalctl -u drover-controller)`,
      `TLS public-key fingerprint: ${fingerprint}`,
      'that is the first admin token, shown only once. On your machine:',
      `  drover login https://127.0.0.1:7443 --fingerprint ${fingerprint} --token <token>`,
      '',
    ].join('\n'));
    const store = new SqliteStore(dataDir);
    try {
      assert.deepEqual(store.listOperatorTokens().map((t) => [t.name, t.scope, t.hash]), [[FIRST_ADMIN_TOKEN, 'admin', hashOperatorToken(token)]]);
    } finally {
      store.close();
    }

    const again = await run(host, ['install', '--listen', '127.0.0.1:7444', '--data-dir', dataDir], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, '', 'the token is never shown twice');
    assert.match(again.stderr, new RegExp(`TLS public-key fingerprint: ${fingerprint}\nthe first admin token was shown when the controller was installed; mint another with: drover controller token create --scope admin --data-dir ${dataDir}`));
    assert.match(host.units[unitPath] ?? '', /--listen 127\.0\.0\.1:7444 /);
  });

  test('without systemd: says so, prints the exact command, changes nothing, exits 1', async () => {
    const host = fakeHost(dir, { hasSystemd: () => false });
    const dataDir = join(dir, 'no-systemd');
    const r = await run(host, ['install', '--data-dir', dataDir], dir);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `/usr/bin/node /opt/drover/dist/drover/main.js controller serve --listen 0.0.0.0:7443 --data-dir ${dataDir}\n`);
    assert.match(r.stderr, /^drover: this host does not run systemd \(no \/run\/systemd\/system\); nothing was installed\. Run the controller under your service manager with:\n/);
    assert.deepEqual([host.calls, existsSync(dataDir)], [[], false]);
  });

  test('bad input: one line each, nothing written', async () => {
    const host = fakeHost(dir, { isRoot: () => false });
    const notRoot = await run(host, ['install', '--data-dir', join(dir, 'x')], dir);
    assert.deepEqual([notRoot.code, notRoot.stderr], [1, `drover: writing ${join(dir, 'units', 'drover-controller.service')} needs root: run it again with sudo\n`]);
    const badUrl = await run(host, ['install', '--public-url', 'https://a.example;reboot'], dir);
    assert.deepEqual([badUrl.code, badUrl.stderr.split('\n')[0]], [64, 'drover: --public-url: expected https://HOST[:PORT], got "https://a.example;reboot"']);
    const badListen = await run(host, ['install', '--listen', 'nowhere'], dir);
    assert.deepEqual([badListen.code, badListen.stderr.split('\n')[0]], [64, 'drover: --listen: expected HOST:PORT, got "nowhere"']);
    const badDir = await run(host, ['install', '--data-dir', '/srv/my drover', '--dry-run'], dir);
    assert.deepEqual([badDir.code, badDir.stderr.split('\n')[0]], [64, 'drover: --data-dir: use a path of letters, digits and _@+=:,./- for a service, not "/srv/my drover"']);
    assert.deepEqual(host.calls, []);
  });

  test('refuses what the service\'s private /tmp would hide: a data dir or a drover under /tmp or /var/tmp', async () => {
    const tmpDirs = { privateTmpDirs: ['/tmp', '/var/tmp'] };
    const data = await run(fakeHost(dir, tmpDirs), ['install', '--data-dir', '/tmp/drover-state', '--dry-run'], dir);
    assert.deepEqual([data.code, data.stderr.split('\n')[0]], [64, 'drover: --data-dir: /tmp/drover-state is under /tmp, which the service does not see (its unit has PrivateTmp=yes) and which the system cleans; choose another (default /var/lib/drover)']);
    const host = fakeHost(dir, { privateTmpDirs: ['/var/tmp'], drover: '/var/tmp/checkout/controller/dist/drover/main.js' });
    const checkout = await run(host, ['install', '--data-dir', join(dir, 'not-made')], dir);
    assert.equal(checkout.code, 1);
    assert.equal(checkout.stderr, 'drover: /var/tmp/checkout/controller/dist/drover/main.js is under /var/tmp, which the service does not see (its unit has PrivateTmp=yes) and which the system cleans: run `drover controller install` from an installation elsewhere (e.g. a checkout in /opt/drover, `npm run install-cli`)\n');
    assert.deepEqual([host.calls, host.units, existsSync(join(dir, 'not-made'))], [[], {}, false]);
  });
});

describe('drover controller backup and restore refuse what they must (in-process)', () => {
  let dir: string;
  before(() => { dir = tempDir('ctl-backup'); });
  after(() => removeDir(dir));

  test('no controller state, not a backup, a non-empty dir without --force, a data dir a running controller holds', async () => {
    const none = await drover(['controller', 'backup', join(dir, 'b.tar'), '--data-dir', join(dir, 'nothing')], dir);
    assert.deepEqual([none.code, none.stderr], [1, `drover: ${join(dir, 'nothing')} holds no controller state (no controller.db)\n`]);

    writeFileSync(join(dir, 'junk.tar'), 'x'.repeat(2000));
    const junk = await drover(['controller', 'restore', join(dir, 'junk.tar'), '--data-dir', join(dir, 'r1')], dir);
    assert.deepEqual([junk.code, junk.stderr], [1, `drover: ${join(dir, 'junk.tar')}: not a tar archive (bad header at byte 0); not a drover controller backup\n`]);
    const missing = await drover(['controller', 'restore', join(dir, 'absent.tar'), '--data-dir', join(dir, 'r1')], dir);
    assert.deepEqual([missing.code, missing.stderr], [1, `drover: cannot read ${join(dir, 'absent.tar')}: ENOENT\n`]);

    const ctl = await startController(join(dir, 'live'));
    const file = join(dir, 'live.tar');
    try {
      const made = await drover(['controller', 'backup', file, '--data-dir', ctl.dataDir], dir);
      assert.equal(made.code, 0, made.stderr);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const toDir = await drover(['controller', 'backup', dir, '--data-dir', ctl.dataDir], dir);
      assert.deepEqual([toDir.code, toDir.stderr], [1, `drover: cannot write ${dir}: it is a directory; name the backup file\n`]);
      const held = await drover(['controller', 'restore', file, '--data-dir', ctl.dataDir, '--force'], dir);
      assert.equal(held.code, 1);
      assert.match(held.stderr, new RegExp(`^drover: data dir ${ctl.dataDir} is in use by another controller \\(pid ${ctl.proc.child.pid} on `));
    } finally {
      await ctl.proc.stop();
    }

    const occupied = join(dir, 'occupied');
    mkdirSync(occupied);
    writeFileSync(join(occupied, 'notes.txt'), 'mine');
    const refused = await drover(['controller', 'restore', file, '--data-dir', occupied], dir);
    assert.deepEqual([refused.code, refused.stderr], [1, `drover: data dir ${occupied} is not empty (notes.txt); --force replaces its controller state\n`]);
    const forced = await drover(['controller', 'restore', file, '--data-dir', occupied, '--force'], dir);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(readFileSync(join(occupied, 'notes.txt'), 'utf8'), 'mine', '--force replaces controller state only');
    assert.equal(loadControllerIdentity(occupied).fingerprint, ctl.fingerprint);
  });
});
