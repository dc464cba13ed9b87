import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Proc } from '@drover/controller/e2e/harness';
import { BUSYBOX_IMAGE, buildImage, pushImage, waitFor } from '../rig/index.js';
import { DROVER_MAIN } from './channel-procs.js';
import { SampleProject, busyboxAccessoryYml, type ProjectOptions } from './deploy-project.js';
import { Fleet, type DroverRun } from './fleet.js';
import { getVia, versionVia } from './http-get.js';

// Kamal's command set over the agents (reference §1, §10.1 "app", "accessory", "proxy", "aliases"), through
// the real `drover` CLI on NAT'd rig hosts. One fleet for the file; each scenario has its own service.

const WEB = ['web-1', 'web-2'];
const DB = 'db-1';

const HOOK = (name: string, log: string) => ({ content: `#!/bin/sh\necho "${name} cmd=$KAMAL_COMMAND sub=$KAMAL_SUBCOMMAND hosts=$KAMAL_HOSTS" >> "${log}"\n`, mode: 0o755 });

describe('Kamal\'s commands over agents: app, proxy, accessory, aliases, config (rig)', () => {
  let fleet: Fleet;
  const publicAddress = new Map<string, string>();

  const ok = (r: DroverRun) => assert.equal(r.code, 0, r.all);
  const containersOn = async (host: string) => (await fleet.host(host).docker.listContainers({ all: true })).map((c) => ({ name: c.Names[0]!.slice(1), state: c.State }));
  const running = async (host: string, name: string) => (await containersOn(host)).some((c) => c.name === name && c.state === 'running');
  const named = async (host: string, prefix: string) => (await containersOn(host)).filter((c) => c.name.startsWith(prefix));
  const project = (name: string, o: Omit<ProjectOptions, 'service'>, content: string) =>
    SampleProject.create(join(fleet.dir, name), fleet.rig, { service: name, ...o }, content);
  let accessoryBuilt: Promise<string> | null = null;
  /** A busybox image in the rig's registry, for accessories (built once, by the first test that needs it). */
  const accessoryImage = () => (accessoryBuilt ??= (async () => {
    const image = `${fleet.rig.registry.server}/drover/busybox-acc:1`;
    const ctx = join(fleet.dir, 'busybox-acc');
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nCMD ["sh"]\n`);
    await buildImage(fleet.rig.operator.docker, ctx, image);
    await pushImage(fleet.rig.operator.docker, image, fleet.rig.registry);
    return image;
  })());
  const answers = async (vhost: string, expected: string) => {
    for (const host of WEB) await waitFor(`${host} ${vhost} → ${expected}`, async () => ((await versionVia(publicAddress.get(host)!, vhost)) === expected ? true : undefined), 20_000);
  };

  before(async () => {
    fleet = await Fleet.start([...WEB, DB]);
    await fleet.rig.buildProxyImage();
    for (const host of WEB) publicAddress.set(host, await fleet.host(host).publish([80]));
  });
  after(async () => {
    await fleet?.stop();
  });

  describe('app: parallel roles on web-1 (web, workers), web on web-2, hooks and a custom maintenance page', () => {
    let shop: SampleProject;
    let version = '';
    const hookLog = () => shop.hookLog();

    before(async () => {
      shop = project('shop', {
        servers: { web: WEB, workers: ['web-1'] },
        hooks: true,
        proxy: ['host: shop.test'],
        files: { 'errors/503.html': '<h1>Custom Maintenance Page</h1><p>{{ .Message }}</p>\n' },
        extra: 'error_pages_path: errors\nboot:\n  parallel_roles: true\n',
      }, 'shop-v1');
      version = shop.git(['rev-parse', 'HEAD']);
      ok(await fleet.run(['deploy'], shop.dir));
      await answers('shop.test', 'shop-v1');
    });

    test('version, details, containers and images: one block per host under "App Host: h"', async () => {
      const v = await fleet.run(['app', 'version'], shop.dir);
      ok(v);
      assert.match(v.out, new RegExp(`App Host: web-1\\n${version}\\n`));
      assert.match(v.out, new RegExp(`App Host: web-2\\n${version}\\n`));
      const details = await fleet.run(['app', 'details'], shop.dir);
      ok(details);
      assert.ok(details.out.includes(`shop-web-${version}`) && details.out.includes(`shop-workers-${version}`), details.out);
      const containers = await fleet.run(['app', 'containers', '-q'], shop.dir);
      ok(containers);
      assert.ok(!containers.out.includes('App Host:'), '-q drops the host headers');
      const images = await fleet.run(['app', 'images'], shop.dir);
      ok(images);
      assert.equal(images.out.match(/App Host: /g)?.length, 2, 'once per host, whatever the roles');
      assert.match(images.out, new RegExp(`drover/shop\\s+${version}`));
      assert.match(images.out, /drover\/shop\s+latest/);
    });

    test('stop gives 404, start brings it back; boot (of `latest`) runs the pre/post-app-boot hooks', async () => {
      ok(await fleet.run(['app', 'stop'], shop.dir));
      assert.equal(await versionVia(publicAddress.get('web-1')!, 'shop.test'), 'HTTP 404');
      assert.ok(!(await running('web-1', `shop-workers-${version}`)), 'every role stopped');
      ok(await fleet.run(['app', 'start'], shop.dir));
      await answers('shop.test', 'shop-v1');

      shop.clearHookLog();
      const boot = await fleet.run(['app', 'boot', '-v'], shop.dir);
      ok(boot);
      assert.ok(boot.out.includes('Start container with version latest (or reboot if already running)...'), boot.out);
      assert.ok(await running('web-1', 'shop-web-latest') && await running('web-1', 'shop-workers-latest'));
      const log = hookLog();
      assert.ok(log.some((l) => l.startsWith('pre-app-boot cmd=app') && l.includes('hosts=web-1,web-2')), log.join('\n'));
      assert.ok(log.some((l) => l.startsWith('post-app-boot cmd=app')), log.join('\n'));
      await answers('shop.test', 'shop-v1');
    });

    test('logs: each host\'s lines, with --grep and --lines', async () => {
      await getVia(publicAddress.get('web-2')!, 'shop.test', '/version');
      const logs = await fleet.run(['app', 'logs', '-r', 'web'], shop.dir);
      ok(logs);
      assert.match(logs.out, /App Host: web-1\n[\s\S]*Starting shop shop-v1/);
      assert.match(logs.out, /App Host: web-2\n[\s\S]*response:200/, 'busybox httpd -v logs each request');
      const grep = await fleet.run(['app', 'logs', '-r', 'web', '-h', 'web-2', '--grep', 'Starting', '-T'], shop.dir);
      ok(grep);
      assert.deepEqual(grep.out.trim().split('\n'), ['App Host: web-2', 'Starting shop shop-v1']);
    });

    test('logs -f: every selected host and role at once, each line prefixed with its host; Ctrl-C ends it', async () => {
      const follow = fleet.spawn(['app', 'logs', '-f', '-n', '1000'], shop.dir);
      await follow.waitFor(/^web-1 \| .*Starting shop shop-v1/m, 20_000);
      await follow.waitFor(/^web-2 \| .*Starting shop shop-v1/m, 20_000);
      const seen = follow.out.length;
      await getVia(publicAddress.get('web-2')!, 'shop.test', '/version');
      await follow.waitFor(/^web-2 \| .*response:200/m, 20_000, seen);
      await follow.stop('SIGINT');
      assert.equal(await follow.exited, 0, follow.all);
    });

    test('exec -i: a real TTY from the operator\'s terminal to the container (tty, size, input, exit status)', async () => {
      // `script` gives drover a pseudo-terminal of 100x30, as an operator's shell would.
      const line = `stty cols 100 rows 30; exec ${process.execPath} ${DROVER_MAIN} app exec -i -r web sh`;
      const term = new Proc(spawn('script', ['-q', '-e', '-c', line, '/dev/null'], { cwd: shop.dir, env: { ...process.env, ...fleet.env }, stdio: ['pipe', 'pipe', 'pipe'] }));
      term.child.stdin!.write('tty; stty size; echo "typed $((40 + 2))"; exit 5\n');
      assert.equal(await term.exited, 5, term.all);
      assert.match(term.out, /\/dev\/pts\/\d+/);
      assert.match(term.out, /30 100/);
      assert.match(term.out, /typed 42/);
    });

    test('exec: a new container per role and host (pulling an image the host lacks), --reuse the running one, --raw byte for byte, --env', async () => {
      const latest = `${fleet.rig.registry.server}/drover/shop:latest`;
      await fleet.host('web-2').docker.getImage(latest).remove({ force: true });
      const fresh = await fleet.run(['app', 'exec', 'hostname'], shop.dir);
      ok(fresh);
      assert.ok(await fleet.host('web-2').docker.getImage(latest).inspect(), 'pulled again, as `docker run` would');
      assert.ok(fresh.out.includes('Launching command with version latest from new container...'), fresh.out);
      assert.equal(fresh.out.match(/App Host: /g)?.length, 3, `once per role and host:\n${fresh.out}`);
      const reuse = await fleet.run(['app', 'exec', '--reuse', '-p', '-r', 'web', 'ps'], shop.dir);
      ok(reuse);
      assert.match(reuse.out, /httpd -f -v -p 80/);
      const raw = await fleet.run(['app', 'exec', '--raw', '-p', '-r', 'web', 'cat', '/www/index.html'], shop.dir);
      ok(raw);
      const expected = '<!doctype html><title>shop</title><p>shop shop-v1</p>\n';
      assert.equal(createHash('md5').update(raw.out).digest('hex'), createHash('md5').update(expected).digest('hex'), JSON.stringify(raw.out));
      const env = await fleet.run(['app', 'exec', '-p', '-r', 'web', '-e', 'COLOR=teal', `sh -c 'echo $COLOR $GREETING'`], shop.dir);
      ok(env);
      assert.match(env.out, /teal hello/);
      const failing = await fleet.run(['app', 'exec', '-p', '-r', 'web', 'sh -c "exit 3"'], shop.dir);
      assert.equal(failing.code, 3, failing.all);
    });

    test('maintenance answers 503 with the custom page and --message; live serves again', async () => {
      ok(await fleet.run(['app', 'maintenance', '--message', 'Back at noon'], shop.dir));
      const page = await getVia(publicAddress.get('web-1')!, 'shop.test', '/version');
      assert.equal(page.status, 503);
      assert.match(page.body, /Custom Maintenance Page/);
      assert.match(page.body, /Back at noon/);
      ok(await fleet.run(['app', 'live'], shop.dir));
      await answers('shop.test', 'shop-v1');
    });

    test('details and audit: proxy, app and the hosts\' audit lines', async () => {
      const details = await fleet.run(['details'], shop.dir);
      ok(details);
      for (const text of ['Proxy Host: web-1', 'Proxy Host: web-2', 'App Host: web-1', 'kamal-proxy', `shop-web-latest`]) assert.ok(details.out.includes(text), `${text} in:\n${details.out}`);
      const json = await fleet.run(['details', '--json', '-q'], shop.dir);
      ok(json);
      const parts = JSON.parse(json.out) as { proxy: { hosts: { host: string }[] }; app: { hosts: { host: string; result: { name: string }[] }[] } };
      assert.deepEqual(parts.proxy.hosts.map((h) => h.host), WEB);
      assert.ok(parts.app.hosts[0]!.result.some((c) => c.name === 'shop-web-latest'), json.out);
      const audit = await fleet.run(['audit'], shop.dir);
      ok(audit);
      assert.match(audit.out, /App Host: web-1\n[\s\S]*Booted app version/);
      assert.match(audit.out, /App Host: web-2\n[\s\S]*\[web\] Executed cmd 'hostname' on app version latest/);
    });

    test('build dev: the working tree with its uncommitted changes, tagged <version>-dirty on this machine only', async () => {
      writeFileSync(join(shop.dir, 'app', 'www', 'version'), 'shop-dirty\n');
      const dev = await fleet.run(['build', 'dev'], shop.dir);
      ok(dev);
      assert.match(dev.out, /Building with uncommitted changes/);
      const sha = shop.git(['rev-parse', 'HEAD']);
      assert.match(dev.out, new RegExp(`Built \\S+/drover/shop:${sha}-dirty from the working tree \\(not pushed\\)`));
      const image = fleet.rig.operator.docker.getImage(`${fleet.rig.registry.server}/drover/shop:${sha}-dirty`);
      assert.ok((await image.inspect()).Id);
      shop.git(['checkout', '--', '.']);
    });

    test('build deliver, then app boot --version: a new version without a deploy; remove takes it all away', async () => {
      const v2 = shop.commit('shop-v2');
      ok(await fleet.run(['build', 'deliver'], shop.dir));
      ok(await fleet.run(['app', 'boot', '--version', v2], shop.dir));
      await answers('shop.test', 'shop-v2');
      const stale = await fleet.run(['app', 'stale_containers'], shop.dir);
      ok(stale);
      ok(await fleet.run(['prune', 'all'], shop.dir));
      ok(await fleet.run(['app', 'remove'], shop.dir));
      assert.equal(await versionVia(publicAddress.get('web-1')!, 'shop.test'), 'HTTP 404');
      for (const host of WEB) assert.deepEqual(await named(host, 'shop-'), [], host);
    });
  });

  test('proxy: details, logs, reboot (all and --rolling) with its hooks, stop, start, restart, remove only without apps', async () => {
    const log = join(fleet.dir, 'proxy-hooks.log');
    const p = project('edge', {
      servers: { web: WEB },
      proxy: ['host: edge.test'],
      files: { '.kamal/hooks/pre-proxy-reboot': HOOK('pre-proxy-reboot', log), '.kamal/hooks/post-proxy-reboot': HOOK('post-proxy-reboot', log) },
    }, 'edge-v1');
    ok(await fleet.run(['deploy'], p.dir));
    await answers('edge.test', 'edge-v1');

    const details = await fleet.run(['proxy', 'details'], p.dir);
    ok(details);
    assert.match(details.out, /Proxy Host: web-1\n[\s\S]*kamal-proxy/);
    const logs = await fleet.run(['proxy', 'logs', '-h', 'web-1'], p.dir);
    ok(logs);
    assert.match(logs.out, /Proxy Host: web-1/);

    const refused = await fleet.run(['proxy', 'reboot'], p.dir);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /brief outage on each host\. Run again with -y/);
    ok(await fleet.run(['proxy', 'reboot', '-y'], p.dir));
    await answers('edge.test', 'edge-v1');
    ok(await fleet.run(['proxy', 'reboot', '--rolling', '-y'], p.dir));
    await answers('edge.test', 'edge-v1');
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.deepEqual(lines, [
      'pre-proxy-reboot cmd=proxy sub=reboot hosts=web-1,web-2', 'post-proxy-reboot cmd=proxy sub=reboot hosts=web-1,web-2',
      'pre-proxy-reboot cmd=proxy sub=reboot hosts=web-1', 'post-proxy-reboot cmd=proxy sub=reboot hosts=web-1',
      'pre-proxy-reboot cmd=proxy sub=reboot hosts=web-2', 'post-proxy-reboot cmd=proxy sub=reboot hosts=web-2',
    ]);

    ok(await fleet.run(['proxy', 'stop', '-h', 'web-1'], p.dir));
    assert.match(await versionVia(publicAddress.get('web-1')!, 'edge.test'), /^down/);
    assert.equal(await versionVia(publicAddress.get('web-2')!, 'edge.test'), 'edge-v1', 'only the selected host');
    ok(await fleet.run(['proxy', 'start', '-h', 'web-1'], p.dir));
    await answers('edge.test', 'edge-v1');
    ok(await fleet.run(['proxy', 'restart'], p.dir));
    await answers('edge.test', 'edge-v1');

    ok(await fleet.run(['proxy', 'remove'], p.dir));
    assert.ok(await running('web-1', 'kamal-proxy'), 'an app still uses it: kept');
    ok(await fleet.run(['remove', '-y'], p.dir));
  });

  test('accessory: boot (then "Skipping booting"), stop, start, restart, details, logs, exec, remove', async () => {
    const image = await accessoryImage();
    const p = project('store', {
      servers: { web: ['web-1'] },
      proxy: ['host: store.test'],
      files: { 'config/busybox.conf': 'configured\n' },
      extra: busyboxAccessoryYml(image, DB),
    }, 'store-v1');

    ok(await fleet.run(['accessory', 'boot', 'busybox'], p.dir));
    assert.ok(await running(DB, 'custom-busybox'));
    const again = await fleet.run(['accessory', 'boot', 'all'], p.dir);
    ok(again);
    assert.ok(again.out.includes(`Skipping booting \`busybox\` on ${DB}, a container already exists`), again.out);
    const unknown = await fleet.run(['accessory', 'boot', 'redis'], p.dir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /No accessory by the name of 'redis' \(options: busybox\)/);

    ok(await fleet.run(['accessory', 'stop', 'busybox'], p.dir));
    assert.ok(!(await running(DB, 'custom-busybox')));
    ok(await fleet.run(['accessory', 'start', 'busybox'], p.dir));
    assert.ok(await running(DB, 'custom-busybox'));
    ok(await fleet.run(['accessory', 'restart', 'busybox'], p.dir));
    assert.ok(await running(DB, 'custom-busybox'));

    // A newer image under the same tag: reboot pulls it first, as Kamal's does.
    writeFileSync(join(fleet.dir, 'busybox-acc', 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nLABEL generation=2\nCMD ["sh"]\n`);
    await buildImage(fleet.rig.operator.docker, join(fleet.dir, 'busybox-acc'), image);
    await pushImage(fleet.rig.operator.docker, image, fleet.rig.registry);
    const newer = (await fleet.rig.operator.docker.getImage(image).inspect()).Id;
    ok(await fleet.run(['accessory', 'reboot', 'busybox'], p.dir));
    assert.equal((await fleet.host(DB).docker.getContainer('custom-busybox').inspect()).Image, newer, 'rebooted on the newer image');

    const details = await fleet.run(['accessory', 'details', 'all'], p.dir);
    ok(details);
    assert.match(details.out, new RegExp(`Accessory busybox Host: ${DB}\\n[\\s\\S]*custom-busybox`));
    const logs = await fleet.run(['accessory', 'logs', 'busybox'], p.dir);
    ok(logs);
    assert.match(logs.out, /Starting busybox\.\.\./);
    const exec = await fleet.run(['accessory', 'exec', 'busybox', 'cat', '/etc/busybox.conf'], p.dir);
    ok(exec);
    assert.match(exec.out, /Launching command from new container\.\.\.[\s\S]*configured/, 'a new container with the accessory\'s files mounted');
    assert.ok(!(await containersOn(DB)).some((c) => c.name.includes('-exec-')), 'the one-off container is removed (--rm)');
    const reuse = await fleet.run(['accessory', 'exec', '--reuse', 'busybox', 'cat', '/proc/1/cmdline'], p.dir);
    ok(reuse);
    assert.match(reuse.out, /Launching command from existing container\.\.\.[\s\S]*Starting busybox/, 'the running accessory: its own main process');

    const refused = await fleet.run(['accessory', 'remove', 'busybox'], p.dir);
    assert.equal(refused.code, 1);
    ok(await fleet.run(['accessory', 'remove', 'busybox', '-y'], p.dir));
    assert.deepEqual(await named(DB, 'custom-busybox'), []);
  });

  test('a proxied accessory without app servers: proxy boot, then the accessory behind kamal-proxy; stop 404, start and restart 200, remove 404', async () => {
    const image = await accessoryImage();
    const p = project('relay', {
      servers: {},
      extra: [
        'accessories:',
        '  netcat:',
        `    image: ${image}`,
        `    cmd: sh -c 'mkdir -p /www && echo OK > /www/up && echo relay-accessory > /www/version && exec httpd -f -p 80 -h /www'`,
        `    host: web-1`,
        '    proxy:',
        '      host: relay.test',
        '      app_port: 80',
        '      healthcheck:',
        '        path: /up',
        '        interval: 1',
        '',
      ].join('\n'),
    }, 'relay-v1');
    const web1 = publicAddress.get('web-1')!;
    ok(await fleet.run(['proxy', 'boot'], p.dir));
    ok(await fleet.run(['accessory', 'boot', 'netcat'], p.dir));
    assert.equal(await versionVia(web1, 'relay.test'), 'relay-accessory');
    ok(await fleet.run(['accessory', 'stop', 'netcat'], p.dir));
    assert.equal(await versionVia(web1, 'relay.test'), 'HTTP 404');
    ok(await fleet.run(['accessory', 'start', 'netcat'], p.dir));
    assert.equal(await versionVia(web1, 'relay.test'), 'relay-accessory');
    ok(await fleet.run(['accessory', 'restart', 'netcat'], p.dir));
    assert.equal(await versionVia(web1, 'relay.test'), 'relay-accessory');
    ok(await fleet.run(['accessory', 'remove', 'netcat', '-y'], p.dir));
    assert.equal(await versionVia(web1, 'relay.test'), 'HTTP 404');
  });

  test('aliases from deploy.yml (with -q and extra args), server exec and bootstrap, registry login, build details, config as Kamal prints it', async () => {
    const p = project('tools', {
      servers: { web: WEB },
      proxy: ['host: tools.test'],
      extra: 'aliases:\n  whoami: app exec --reuse -p hostname\n  uname: server exec -p uname\n',
    }, 'tools-v1');
    ok(await fleet.run(['deploy'], p.dir));
    const whoami = await fleet.run(['whoami'], p.dir);
    ok(whoami);
    assert.match(whoami.out, /App Host: web-1\nweb-1-[0-9a-f]{12}\n/, 'Kamal names containers <host>-<12 hex>');
    const quiet = await fleet.run(['whoami', '-q'], p.dir);
    ok(quiet);
    assert.match(quiet.out, /^web-1-[0-9a-f]{12}\n$/);
    const uname = await fleet.run(['uname', '-s', '-n'], p.dir);
    ok(uname);
    assert.match(uname.out, /Running 'uname -s -n' on web-1/);
    assert.match(uname.out, /Linux \S+/);
    const audit = await fleet.run(['audit'], p.dir);
    ok(audit);
    assert.match(audit.out, /Executed cmd 'uname -s -n' on web-1/, 'server exec is audited on the host, as Kamal does');

    const login = await fleet.run(['registry', 'login'], p.dir);
    ok(login);
    assert.match(login.out, /Logged in to \S+ on this machine/);
    assert.match(login.out, /Registry Host: web-1\n/);
    const bootstrap = await fleet.run(['server', 'bootstrap'], p.dir);
    ok(bootstrap);
    assert.match(bootstrap.out, /web-1: Docker \S+, agent connected/);
    const builder = await fleet.run(['build', 'details'], p.dir);
    ok(builder);
    assert.match(builder.out, /^Builder: local\nDocker Engine API at .*: \d/);

    const config = await fleet.run(['config'], p.dir);
    ok(config);
    assert.match(config.out, /^:roles:\n- web\n/m);
    assert.match(config.out, /^:primary_host: web-1$/m);
    assert.ok(!config.out.includes(fleet.rig.registry.password), 'no secret in the config output');
    ok(await fleet.run(['remove', '-y'], p.dir));
  });
});
