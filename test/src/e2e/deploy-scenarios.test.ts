import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { BUSYBOX_IMAGE, OPERATOR_ADDRESS, buildImage, followProgress, pushImage, waitFor } from '../rig/index.js';
import { serveController, type RigController } from './channel-procs.js';
import { SampleProject, busyboxAccessoryYml, type ProjectOptions } from './deploy-project.js';
import { Fleet, type DroverRun } from './fleet.js';
import { getVia, versionVia } from './http-get.js';

// More of Kamal's integration scenarios (reference §10.1), through the real `drover` CLI on NAT'd rig hosts:
// setup with accessories, destinations, a custom TLS certificate, two apps on one kamal-proxy, a controller
// restart mid-deploy, and operator token scopes. One fleet for the file; each scenario has its own service.

const WEB = ['web-1', 'web-2'];
const DB = 'db-1';

/** `docker exec CONTAINER CMD…` through the Docker API; resolves to its stdout+stderr. */
async function dockerExec(docker: Docker, container: string, cmd: string[]): Promise<string> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const sink = new PassThrough();
  let text = '';
  sink.on('data', (d: Buffer) => (text += d.toString()));
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => { stream.on('end', resolve); stream.on('close', resolve); stream.on('error', reject); });
  return text;
}

/** A self-signed CA and a certificate for `name` signed by it (EC P-256), made with openssl. */
function makeCertificates(dir: string, name: string): { ca: string; cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Drover Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', ...ec, '-keyout', 'key.pem', '-out', 'cert.csr', '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=DNS:${name}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', 'cert.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'ext.cnf']);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

describe('Kamal scenarios through drover on NAT\'d hosts: accessories, destinations, TLS, two apps, controller restart, scopes (rig)', () => {
  let fleet: Fleet;
  let restarted: RigController | null = null;
  const publicAddress = new Map<string, string>();
  let accessoryImage = '';

  const ok = (r: DroverRun) => assert.equal(r.code, 0, r.all);
  const containersOn = async (host: string) => (await fleet.host(host).docker.listContainers({ all: true })).map((c) => ({ name: c.Names[0]!.slice(1), state: c.State }));
  const running = async (host: string, name: string) => (await containersOn(host)).some((c) => c.name === name && c.state === 'running');
  const named = async (host: string, prefix: string) => (await containersOn(host)).filter((c) => c.name.startsWith(prefix));
  const project = (name: string, o: Omit<ProjectOptions, 'service'>, content: string) =>
    SampleProject.create(join(fleet.dir, name), fleet.rig, { service: name, ...o }, content);
  const deploymentsOf = async (dir: string, service: string, env: NodeJS.ProcessEnv = {}) => {
    const r = await fleet.run(['deployments', '--service', service, '--json'], dir, env);
    ok(r);
    return (JSON.parse(r.out) as { deployments: Array<{ id: string; status: string; error: string | null; version: string; destination: string | null; command: string; hosts: string[] }> }).deployments;
  };

  before(async () => {
    fleet = await Fleet.start([...WEB, DB]);
    await fleet.rig.buildProxyImage();
    for (const host of WEB) publicAddress.set(host, await fleet.host(host).publish([80, 443]));
    // Hosts pull from the rig registry only: a busybox image for the accessory, pushed there.
    accessoryImage = `${fleet.rig.registry.server}/drover/busybox-acc:1`;
    const ctx = join(fleet.dir, 'busybox-acc');
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nCMD ["sh"]\n`);
    await buildImage(fleet.rig.operator.docker, ctx, accessoryImage);
    await pushImage(fleet.rig.operator.docker, accessoryImage, fleet.rig.registry);
  });
  after(async () => {
    await restarted?.proc.stop();
    await fleet?.stop();
  });

  // First, on hosts nothing else uses yet: removing the last app must remove kamal-proxy.
  test('two apps on one shared kamal-proxy: both answer by host; removing one keeps the proxy, removing the other removes it', async () => {
    const a = project('two-a', { servers: { web: WEB }, proxy: ['host: a.test'] }, 'alpha');
    const b = project('two-b', { servers: { web: WEB }, proxy: ['host: b.test'] }, 'bravo');
    ok(await fleet.run(['deploy'], a.dir));
    ok(await fleet.run(['deploy'], b.dir));
    for (const host of WEB) {
      const address = publicAddress.get(host)!;
      assert.equal(await versionVia(address, 'a.test'), 'alpha', host);
      assert.equal(await versionVia(address, 'b.test'), 'bravo', host);
      assert.equal((await containersOn(host)).filter((c) => c.name === 'kamal-proxy').length, 1, `${host}: one shared kamal-proxy`);
    }

    ok(await fleet.run(['remove', '-y'], a.dir));
    for (const host of WEB) {
      const address = publicAddress.get(host)!;
      assert.deepEqual(await named(host, 'two-a-'), [], `${host}: app A's containers are gone`);
      assert.ok(await running(host, 'kamal-proxy'), `${host}: kamal-proxy is kept for app B`);
      assert.equal(await versionVia(address, 'b.test'), 'bravo', `${host}: app B still answers`);
      assert.equal(await versionVia(address, 'a.test'), 'HTTP 404', `${host}: app A no longer routed`);
    }

    ok(await fleet.run(['remove', '-y'], b.dir));
    for (const host of WEB) {
      const left = (await containersOn(host)).filter((c) => c.name === 'kamal-proxy' || c.name.startsWith('two-'));
      assert.deepEqual(left, [], `${host}: the last app's removal removes kamal-proxy`);
    }
  });

  describe('setup with an accessory (files and directories) on a db host', () => {
    let acc: SampleProject;
    let version = '';
    const CONF = 'busybox config for drover tests\n';

    before(() => {
      acc = project('acc-app', {
        servers: { web: WEB },
        proxy: ['host: acc.test'],
        files: { 'config/busybox.conf': CONF },
        extra: busyboxAccessoryYml(accessoryImage, DB, { directory: true }),
      }, 'with-accessory');
      version = acc.git(['rev-parse', 'HEAD']);
    });

    test('drover setup: Kamal\'s lines, the app up on the web hosts, the accessory running on db-1 with its file and directory', async () => {
      const r = await fleet.run(['setup'], acc.dir);
      ok(r);
      for (const line of [
        'Ensure Docker is installed...', 'Build and push app image...', 'Acquiring the deploy lock...', 'Ensure kamal-proxy is running...',
        'Detect stale containers...', `Start container with version ${version} (or reboot if already running)...`,
        'Prune old containers and images...', 'Releasing the deploy lock...',
      ]) assert.ok(r.out.includes(line), `missing "${line}" in:\n${r.all}`);

      for (const host of WEB) {
        assert.ok(await running(host, `acc-app-web-${version}`), `${host}: ${JSON.stringify(await containersOn(host))}`);
        assert.equal(await versionVia(publicAddress.get(host)!, 'acc.test'), 'with-accessory', host);
        assert.deepEqual(await named(host, 'custom-busybox'), [], `${host}: the accessory runs on ${DB} only`);
      }
      const db = fleet.host(DB);
      assert.ok(await running(DB, 'custom-busybox'), JSON.stringify(await containersOn(DB)));
      assert.deepEqual(await named(DB, 'acc-app-'), [], 'no app container on the accessory host');

      const stat = async (path: string) => (await db.exec(['busybox', 'stat', '-c', '%a %u:%g', path])).stdout.trim();
      assert.equal(await stat('/root/custom-busybox/etc/busybox.conf'), '640 1000:1000');
      assert.equal(await stat('/root/custom-busybox/data'), '750 1000:1000');
      assert.equal(await dockerExec(db.docker, 'custom-busybox', ['cat', '/etc/busybox.conf']), CONF, 'the file is mounted in the accessory');
      const info = await db.docker.getContainer('custom-busybox').inspect();
      const mount = (dest: string) => info.Mounts.find((m) => m.Destination === dest);
      assert.equal(mount('/etc/busybox.conf')?.Source, '/root/custom-busybox/etc/busybox.conf');
      assert.equal(mount('/etc/busybox.conf')?.RW, false, 'the file is mounted read-only (options: ro)');
      assert.equal(mount('/data')?.Source, '/root/custom-busybox/data');
      assert.equal(info.Config.Labels?.service, 'custom-busybox');
      await waitFor('the accessory\'s first log line', async () => {
        const logs = (await db.docker.getContainer('custom-busybox').logs({ stdout: true, stderr: true })).toString();
        return logs.includes('Starting busybox...') ? true : undefined;
      }, 10_000, 200);
    });

    test('a second drover setup -P skips booting the accessory, with Kamal\'s message', async () => {
      const before = (await fleet.host(DB).docker.getContainer('custom-busybox').inspect().catch(() => null))?.Id;
      assert.ok(before, 'the accessory booted by the first setup is running');
      const r = await fleet.run(['setup', '-P'], acc.dir);
      ok(r);
      assert.equal((await fleet.host(DB).docker.getContainer('custom-busybox').inspect()).Id, before, 'the accessory container was left alone');
      assert.ok(r.out.includes(`Skipping booting \`busybox\` on ${DB}, a container already exists`), `missing Kamal's skip message in:\n${r.all}`);
    });

    test('drover remove -y removes the app and the accessory', async () => {
      ok(await fleet.run(['remove', '-y'], acc.dir));
      for (const host of WEB) assert.deepEqual(await named(host, 'acc-app-'), [], host);
      assert.deepEqual(await named(DB, 'custom-busybox'), [], 'the accessory container is gone');
    });
  });

  test('destinations with require_destination: no -d is refused and changes nothing; -d staging deploys to web-1 only, with its own lock', async () => {
    const destination = (host: string) => `servers:\n  web:\n    hosts:\n      - ${host}\n`;
    const p = project('dest-app', {
      servers: { web: WEB },
      proxy: ['host: dest.test'],
      extra: 'require_destination: true\n',
      // With a destination Kamal reads .kamal/secrets-common and .kamal/secrets.<destination>, not .kamal/secrets.
      files: {
        'config/deploy.staging.yml': destination('web-1'), 'config/deploy.production.yml': destination('web-2'),
        '.kamal/secrets-common': `KAMAL_REGISTRY_PASSWORD=${fleet.rig.registry.password}\nAPP_SECRET=s3cr3t-value-for-tests\n`,
      },
    }, 'destined');
    const version = p.git(['rev-parse', 'HEAD']);

    const refused = await fleet.run(['deploy'], p.dir);
    assert.notEqual(refused.code, 0, refused.all);
    assert.match(refused.err, /You must specify a destination/);
    assert.ok(!refused.out.includes('Build and push app image...'), refused.all);
    assert.deepEqual(await deploymentsOf(p.dir, 'dest-app'), [], 'nothing recorded');
    for (const host of WEB) assert.deepEqual(await named(host, 'dest-app-'), [], host);

    const staging = await fleet.run(['deploy', '-d', 'staging'], p.dir);
    ok(staging);
    assert.ok(await running('web-1', `dest-app-web-staging-${version}`), JSON.stringify(await containersOn('web-1')));
    assert.deepEqual(await named('web-2', 'dest-app-'), [], 'staging deploys to web-1 only');
    assert.equal(await versionVia(publicAddress.get('web-1')!, 'dest.test'), 'destined');
    const [latest] = await deploymentsOf(p.dir, 'dest-app');
    assert.deepEqual([latest?.destination, latest?.status, latest?.hosts], ['staging', 'succeeded', ['web-1']]);

    // The lock is per <service>-<destination>: staging's lock does not hold production back.
    ok(await fleet.run(['lock', 'acquire', '-m', 'Staging freeze', '-d', 'staging'], p.dir));
    const status = await fleet.run(['lock', 'status', '-d', 'staging'], p.dir);
    ok(status);
    assert.match(status.out, /^Locked by: Deployer at .*\nVersion: \nMessage: Staging freeze$/m);
    assert.equal((await fleet.run(['lock', 'status', '-d', 'production'], p.dir)).out.trim(), 'There is no deploy lock');
    const blocked = await fleet.run(['deploy', '-P', '-d', 'staging'], p.dir);
    assert.equal(blocked.code, 1, blocked.all);
    assert.ok(blocked.out.includes('Deploy lock already in place!'), blocked.all);
    ok(await fleet.run(['deploy', '-P', '-d', 'production'], p.dir));
    assert.ok(await running('web-2', `dest-app-web-production-${version}`), JSON.stringify(await containersOn('web-2')));
    assert.ok(await running('web-1', `dest-app-web-staging-${version}`), 'staging untouched by the production deploy');
    assert.deepEqual((await named('web-1', 'dest-app-')).map((c) => c.name), [`dest-app-web-staging-${version}`]);
    assert.equal((await fleet.run(['lock', 'release', '-d', 'staging'], p.dir)).out.trim(), 'Released the deploy lock');
    assert.equal((await fleet.run(['lock', 'status', '-d', 'staging'], p.dir)).out.trim(), 'There is no deploy lock');

    ok(await fleet.run(['remove', '-y', '-d', 'staging'], p.dir));
    ok(await fleet.run(['remove', '-y', '-d', 'production'], p.dir));
    for (const host of WEB) assert.deepEqual(await named(host, 'dest-app-'), [], host);
  });

  test('a custom TLS certificate from .kamal/secrets: HTTPS for app.test verified against its CA answers the version', async () => {
    const certs = makeCertificates(join(fleet.dir, 'certs-app.test'), 'app.test');
    const p = project('tls-app', {
      servers: { web: WEB },
      proxy: ['host: app.test', 'ssl:', '  certificate_pem: CERTIFICATE_PEM', '  private_key_pem: PRIVATE_KEY_PEM'],
      files: { 'certs/cert.pem': certs.cert, 'certs/key.pem': certs.key },
      secrets: ['CERTIFICATE_PEM=$(cat certs/cert.pem)', 'PRIVATE_KEY_PEM=$(cat certs/key.pem)'],
    }, 'secure');
    const r = await fleet.run(['deploy'], p.dir);
    ok(r);
    assert.ok(!r.all.includes('PRIVATE KEY'), 'the private key is never printed');
    // A CA the certificate was not issued by is refused: the check below really verifies the chain.
    const other = makeCertificates(join(fleet.dir, 'certs-other'), 'app.test');
    for (const host of WEB) {
      const address = publicAddress.get(host)!;
      const reply = await getVia(address, 'app.test', '/version', { ca: certs.ca });
      assert.deepEqual([reply.status, reply.body.trim()], [200, 'secure'], `${host} over HTTPS`);
      await assert.rejects(getVia(address, 'app.test', '/version', { ca: other.ca }), /certificate/i);
    }
    ok(await fleet.run(['remove', '-y'], p.dir));
  });

  test('scopes: a deploy token deploys and locks but cannot mint join tokens; a read token lists but cannot deploy (exit 77, nothing recorded)', async () => {
    const p = project('scoped-app', { servers: { web: ['web-2'] }, proxy: ['host: scoped.test'] }, 'scoped');
    const version = p.git(['rev-parse', 'HEAD']);
    const mint = async (scope: string) => {
      const r = await fleet.run(['controller', 'token', 'create', '--scope', scope, '--name', `scenario-${scope}`, '--data-dir', join(fleet.dir, 'ctl')], p.dir);
      ok(r);
      return { DROVER_TOKEN: r.out.trim() };
    };
    const deployer = await mint('deploy');
    const reader = await mint('read');

    const refused = await fleet.run(['deploy', '-P'], p.dir, reader);
    assert.equal(refused.code, 77, refused.all);
    assert.match(refused.err, /forbidden|scope read; deploy is required/i);
    assert.deepEqual(await deploymentsOf(p.dir, 'scoped-app', reader), [], 'a read token can list deployments; nothing was recorded');
    assert.equal((await fleet.run(['lock', 'status'], p.dir, reader)).out.trim(), 'There is no deploy lock');
    const lockRefused = await fleet.run(['lock', 'acquire', '-m', 'nope'], p.dir, reader);
    assert.equal(lockRefused.code, 77, lockRefused.all);
    assert.deepEqual(await named('web-2', 'scoped-app-'), []);

    ok(await fleet.run(['deploy'], p.dir, deployer));
    ok(await fleet.run(['deploy', '-P'], p.dir, deployer));
    assert.ok(await running('web-2', `scoped-app-web-${version}`));
    assert.equal(await versionVia(publicAddress.get('web-2')!, 'scoped.test'), 'scoped');
    const list = await deploymentsOf(p.dir, 'scoped-app', reader);
    assert.deepEqual(list.map((d) => d.status), ['succeeded', 'succeeded']);

    ok(await fleet.run(['lock', 'acquire', '-m', 'Scoped'], p.dir, deployer));
    assert.match((await fleet.run(['lock', 'status'], p.dir, reader)).out, /Message: Scoped/);
    assert.equal((await fleet.run(['lock', 'release'], p.dir, deployer)).out.trim(), 'Released the deploy lock');

    const join_ = await fleet.run(['agents', 'token', '--name', 'intruder'], p.dir, deployer);
    assert.equal(join_.code, 77, join_.all);
    assert.match(join_.err, /scope deploy; admin is required/);

    ok(await fleet.run(['remove', '-y'], p.dir));
  });

  test('Kamal\'s local registry (localhost:PORT): the image travels operator → controller → agents, never inbound', async () => {
    // The hosts cannot reach the operator's machine; only the kamal-proxy image comes from the rig registry, pulled beforehand.
    const proxyImage = `${fleet.rig.registry.server}/drover/kamal-proxy-compat:v0.9.2`;
    const auth = { username: fleet.rig.registry.username, password: fleet.rig.registry.password, serveraddress: fleet.rig.registry.server };
    const docker = fleet.host('web-2').docker;
    await followProgress(docker, (await docker.pull(proxyImage, { authconfig: auth })) as NodeJS.ReadableStream);
    const p = project('local-reg', { servers: { web: ['web-2'] }, proxy: ['host: local.test'], localRegistry: 'localhost:5555' }, 'from-local-registry');
    const version = p.git(['rev-parse', 'HEAD']);
    const r = await fleet.run(['deploy'], p.dir);
    ok(r);
    assert.match(r.out, /Uploading localhost:5555\/drover\/local-reg:[0-9a-f]{40} to the controller/);
    assert.match(r.out, /web-2: loaded localhost:5555\/drover\/local-reg:[0-9a-f]{40} \(sent through the controller\)/);
    assert.ok(!/logged in to/.test(r.out), 'no registry login for a local registry');
    assert.equal((await getVia(publicAddress.get('web-2')!, 'local.test', '/version')).body.trim(), 'from-local-registry');
    assert.ok(await running('web-2', `local-reg-web-${version}`));
    // -P with a version the controller has: the hosts load it again; with one it lacks: a clear refusal.
    ok(await fleet.run(['deploy', '-P'], p.dir));
    const missing = await fleet.run(['deploy', '-P', '--version', 'not-uploaded'], p.dir);
    assert.equal(missing.code, 1, missing.all);
    assert.match(missing.err, /localhost:5555\/drover\/local-reg:not-uploaded: the image of the local registry localhost:5555 was not uploaded to the controller/);
    ok(await fleet.run(['remove', '-y'], p.dir));
  });

  test('a controller killed mid-deploy leaves no stale lock: the deployment is marked failed at restart, and the next deploy succeeds', async () => {
    const p = project('restart-app', { servers: { web: ['web-1'] }, proxy: ['host: restart.test'], deployTimeout: 30 }, 'never-healthy');
    const broken = p.commit('never-healthy', { healthy: false });
    const cli = fleet.spawn(['deploy'], p.dir);
    await cli.waitFor(new RegExp(`Start container with version ${broken}`), 180_000);
    // The boot is now waiting on a health check that never passes.
    await fleet.controller.proc.stop('SIGKILL');

    const port = Number(new URL(fleet.controller.url).port);
    restarted = await serveController(OPERATOR_ADDRESS, port, join(fleet.dir, 'ctl'));
    assert.equal(restarted.fingerprint, fleet.controller.fingerprint, 'same identity after the restart');

    const status = await fleet.run(['lock', 'status'], p.dir);
    ok(status);
    assert.equal(status.out.trim(), 'There is no deploy lock');
    const [interrupted] = await deploymentsOf(p.dir, 'restart-app');
    assert.equal(interrupted?.version, broken);
    assert.equal(interrupted?.status, 'failed');
    assert.match(interrupted?.error ?? '', /controller stopped/);
    // The operator's `drover deploy` follows again and learns how its deployment ended.
    const code = await Promise.race([cli.exited, new Promise((r) => setTimeout(r, 60_000, 'still running'))]);
    if (code === 'still running') await cli.stop('SIGKILL');
    assert.equal(code, 1, cli.all);
    assert.match(cli.err, /the controller stopped during this deployment/);
    assert.match(cli.err, /web-1: app\.boot was in progress; its outcome on the host is unknown here/, 'the step under way is named');

    await waitFor('every agent back online', async () => {
      const r = await fleet.run(['agents', '--json'], p.dir);
      const agents = (JSON.parse(r.out) as { agents: Array<{ name: string; online: boolean }> }).agents;
      return agents.length === 3 && agents.every((a) => a.online) ? true : undefined;
    }, 30_000, 250);
    // The agent finishes the boot it was given (its health gate fails after deploy_timeout) and stops that container.
    await waitFor('the interrupted boot to end on web-1', async () => ((await running('web-1', `restart-app-web-${broken}`)) ? undefined : true), 120_000, 500);

    const healthy = p.commit('healthy-again');
    const r = await fleet.run(['deploy'], p.dir);
    ok(r);
    assert.ok(await running('web-1', `restart-app-web-${healthy}`));
    assert.equal(await versionVia(publicAddress.get('web-1')!, 'restart.test'), 'healthy-again');
    const [latest] = await deploymentsOf(p.dir, 'restart-app');
    assert.deepEqual([latest?.version, latest?.status], [healthy, 'succeeded']);
    ok(await fleet.run(['remove', '-y'], p.dir));
  });
});
