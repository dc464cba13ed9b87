import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { Rig, followProgress, waitFor, type RigHost } from '../rig/index.js';
import { httpGet } from './http-get.js';
import { startLoad } from './load.js';

// The proxy image on a rig host, driven exactly as Kamal drives basecamp/kamal-proxy:
// `docker run` with Kamal's options, then `docker exec kamal-proxy kamal-proxy …` (here through
// the Engine API's exec, as Drover's agent does), against app containers on the `kamal` network.

const SERVICE = 'sample-app-web';
const APPS_CONFIG = '/root/.kamal/proxy/apps-config';

interface ExecOutput { code: number; stdout: string; stderr: string }

/** `docker exec <container> argv…` through the Engine API: output demultiplexed, exit code from inspect. */
async function dockerExec(docker: Docker, container: string, argv: string[]): Promise<ExecOutput> {
  const exec = await docker.getContainer(container).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (b: Buffer) => chunks.out.push(b));
  err.on('data', (b: Buffer) => chunks.err.push(b));
  docker.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode ?? -1, stdout: Buffer.concat(chunks.out).toString('utf8'), stderr: Buffer.concat(chunks.err).toString('utf8') };
}

/** Kamal's argv for `kamal-proxy deploy` with a default proxy config (lib/kamal/commands/app/proxy.rb). */
function kamalDeployArgv(target: string, deployTimeout = '30s'): string[] {
  return [
    'kamal-proxy', 'deploy', SERVICE, `--target=${target}`, `--deploy-timeout=${deployTimeout}`, '--drain-timeout=30s',
    '--buffer-requests', '--buffer-responses',
    '--log-request-header=Cache-Control', '--log-request-header=Last-Modified', '--log-request-header=User-Agent',
  ];
}

/** `docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume … --publish 80:80 --publish 443:443 --log-opt max-size=10m <image>` */
async function runKamalProxy(docker: Docker, image: string): Promise<void> {
  const container = await docker.createContainer({
    name: 'kamal-proxy',
    Image: image,
    ExposedPorts: { '80/tcp': {}, '443/tcp': {} },
    HostConfig: {
      NetworkMode: 'kamal',
      RestartPolicy: { Name: 'unless-stopped' },
      PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '80' }], '443/tcp': [{ HostIp: '', HostPort: '443' }] },
      LogConfig: { Type: '', Config: { 'max-size': '10m' } },
      Binds: ['kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy', `${APPS_CONFIG}:/home/kamal-proxy/.apps-config`],
    },
  });
  await container.start();
}

/** Kamal's app boot: `docker run --detach --restart unless-stopped --name <service-role-version> --network kamal <image>`, then the 12-hex id. */
async function runApp(docker: Docker, image: string, name: string): Promise<string> {
  const container = await docker.createContainer({
    name,
    Image: image,
    Labels: { service: 'sample-app', role: 'web' },
    HostConfig: { NetworkMode: 'kamal', RestartPolicy: { Name: 'unless-stopped' } },
  });
  await container.start();
  // `docker container ls --all --filter 'name=^<name>$' --quiet`
  const [listed] = await docker.listContainers({ all: true, filters: { name: [`^${name}$`] } });
  assert.ok(listed, `container ${name} is listed`);
  return listed.Id.slice(0, 12);
}

async function waitForProxy(host: RigHost): Promise<void> {
  await waitFor('kamal-proxy to answer on its socket', async () =>
    (await dockerExec(host.docker, 'kamal-proxy', ['kamal-proxy', 'list'])).code === 0 ? true : undefined, 30_000, 200);
}

async function whoamiInside(host: RigHost): Promise<string> {
  return (await host.exec(['busybox', 'wget', '-qO-', 'http://127.0.0.1/cgi-bin/whoami'])).stdout.trim();
}

test('kamal-proxy-compat in a container on a rig host, run and driven the way Kamal does it', { timeout: 600_000 }, async (t) => {
  const rig = await Rig.start({ hosts: ['web-1'] });
  t.after(() => rig.stop());
  const host = rig.host('web-1');
  const docker = host.docker;

  const proxyImage = await rig.buildProxyImage();
  const v1 = await rig.buildSampleApp({ version: 'v1' });
  const v2 = await rig.buildSampleApp({ version: 'v2' });
  const broken = await rig.buildSampleApp({ version: 'v3-broken', healthy: false });
  const authconfig = { username: rig.registry.username, password: rig.registry.password, serveraddress: rig.registry.server };
  for (const ref of [proxyImage, v1, v2, broken]) await followProgress(docker, await docker.pull(ref, { authconfig }));

  // kamal proxy boot
  await docker.createNetwork({ Name: 'kamal', CheckDuplicate: true });
  await host.exec(['mkdir', '-p', APPS_CONFIG]);
  await runKamalProxy(docker, proxyImage);
  await waitForProxy(host);
  const inspected = await docker.getContainer('kamal-proxy').inspect();
  assert.deepEqual(inspected.Config.Cmd, ['kamal-proxy', 'run'], 'the image runs `kamal-proxy run` like basecamp/kamal-proxy');
  assert.ok(inspected.Mounts.some((m) => m.Type === 'volume' && m.Name === 'kamal-proxy-config' && m.Destination === '/home/kamal-proxy/.config/kamal-proxy'));
  const publicAddress = await host.publish([80]);

  // Before any deploy the proxy answers 404 for everything.
  assert.equal((await httpGet(`http://${publicAddress}/cgi-bin/whoami`)).status, 404);

  // kamal deploy (v1)
  const id1 = await runApp(docker, v1, `${SERVICE}-v1`);
  const deploy1 = await dockerExec(docker, 'kamal-proxy', kamalDeployArgv(`${id1}:80`));
  assert.equal(deploy1.code, 0, `deploy v1: ${deploy1.stderr}`);
  assert.equal(deploy1.stderr, '');
  assert.equal(await whoamiInside(host), `sample-app v1 ${id1}`);
  assert.deepEqual(await httpGet(`http://${publicAddress}/cgi-bin/whoami`), { status: 200, body: `sample-app v1 ${id1}\n` });

  // kamal deploy (v2), then Kamal stops the old container.
  const id2 = await runApp(docker, v2, `${SERVICE}-v2`);
  const deploy2 = await dockerExec(docker, 'kamal-proxy', kamalDeployArgv(`${id2}:80`));
  assert.equal(deploy2.code, 0, `deploy v2: ${deploy2.stderr}`);
  await docker.getContainer(`${SERVICE}-v1`).stop({ t: 1 });
  assert.equal(await whoamiInside(host), `sample-app v2 ${id2}`);
  assert.deepEqual(await httpGet(`http://${publicAddress}/cgi-bin/whoami`), { status: 200, body: `sample-app v2 ${id2}\n` });

  // The request log (JSON lines on the container's stdout) carries the headers Kamal asked for.
  const logs = (await docker.getContainer('kamal-proxy').logs({ stdout: true, stderr: true, follow: false })).toString('utf8');
  assert.match(logs, /"msg":"Server started"/);
  assert.match(logs, new RegExp(`"msg":"Request".*"service":"${SERVICE}","target":"${id2}:80"`));
  assert.match(logs, /"req_user_agent":"Wget"/);

  // A deploy to a target whose /up never answers 200 fails with kamal-proxy's error; v2 keeps serving.
  const idBroken = await runApp(docker, broken, `${SERVICE}-v3-broken`);
  const failed = await dockerExec(docker, 'kamal-proxy', kamalDeployArgv(`${idBroken}:80`, '3s'));
  assert.equal(failed.code, 1);
  assert.equal(failed.stderr.trim(), 'Error: target failed to become healthy within configured timeout (3s)');
  assert.equal(await whoamiInside(host), `sample-app v2 ${id2}`);
  assert.equal((await httpGet(`http://${publicAddress}/version`)).body, 'v2\n');
  await docker.getContainer(`${SERVICE}-v3-broken`).remove({ force: true });

  // Flag errors come back through exec as kamal-proxy gives them.
  const badFlag = await dockerExec(docker, 'kamal-proxy', ['kamal-proxy', 'deploy', SERVICE, `--target=${id2}:80`, '--deploy-timeout=soon']);
  assert.equal(badFlag.code, 1);
  assert.match(badFlag.stderr, /^Error: invalid argument "soon" for "--deploy-timeout" flag: time: invalid duration "soon"$/m);

  const list = await dockerExec(docker, 'kamal-proxy', ['kamal-proxy', 'list']);
  assert.equal(list.code, 0, list.stderr);
  const [header, row, ...rest] = list.stdout.trimEnd().split('\n');
  assert.match(header!, /^Service\s+Host\s+Path\s+Target\s+State\s+TLS$/);
  assert.match(row!, new RegExp(`^${SERVICE}\\s+\\*\\s+/\\s+${id2}:80\\s+running\\s+no$`));
  assert.deepEqual(rest, []);

  // The state lives in the kamal-proxy-config volume: it survives a restart of the container…
  await docker.getContainer('kamal-proxy').restart({ t: 10 });
  await waitForProxy(host);
  assert.equal(await whoamiInside(host), `sample-app v2 ${id2}`);
  // …and `kamal proxy reboot` (remove the container, run a new one on the same volume).
  await docker.getContainer('kamal-proxy').remove({ force: true });
  await runKamalProxy(docker, proxyImage);
  await waitForProxy(host);
  assert.equal(await whoamiInside(host), `sample-app v2 ${id2}`);
  assert.deepEqual(await httpGet(`http://${publicAddress}/cgi-bin/whoami`), { status: 200, body: `sample-app v2 ${id2}\n` });
  const relisted = await dockerExec(docker, 'kamal-proxy', ['kamal-proxy', 'list']);
  assert.match(relisted.stdout, new RegExp(`^${SERVICE}\\s+\\*\\s+/\\s+${id2}:80\\s+running\\s+no$`, 'm'));

  // Bounded load from the operator side through the published port while Kamal-style deploys switch
  // the target (new container, deploy, stop the old one), one of them to a never-healthy target.
  const load = startLoad([`http://${publicAddress}/version`], { ratePerSecond: 250 });
  let current = `${SERVICE}-v2`;
  const plan = ['v1', 'v2', 'broken', 'v1', 'v2', 'v1'] as const;
  for (const [i, version] of plan.entries()) {
    await new Promise((r) => setTimeout(r, 500));
    const name = `${SERVICE}-load-${i}-${version}`;
    const id = await runApp(docker, version === 'broken' ? broken : version === 'v1' ? v1 : v2, name);
    const result = await dockerExec(docker, 'kamal-proxy', kamalDeployArgv(`${id}:80`, version === 'broken' ? '3s' : '30s'));
    if (version === 'broken') {
      assert.equal(result.code, 1, 'the never-healthy target is refused');
      await docker.getContainer(name).remove({ force: true });
      continue;
    }
    assert.equal(result.code, 0, `deploy ${name}: ${result.stderr}`);
    await docker.getContainer(current).stop({ t: 1 });
    current = name;
  }
  await new Promise((r) => setTimeout(r, 500));
  const tally = await load.stop();
  const rate = tally.ok / tally.seconds;
  t.diagnostic(`load: ${tally.ok} requests in ${tally.seconds.toFixed(1)} s (${rate.toFixed(0)} req/s), ${tally.failed.length} failed, ${tally.skipped} not sent (fell behind)`);
  assert.deepEqual(tally.failed, [], 'no request failed during the switches');
  assert.equal(tally.skipped, 0, 'the proxy kept up with the offered rate');
  assert.ok(rate >= 200, `at least 200 req/s (got ${rate.toFixed(0)})`);
  assert.deepEqual([...tally.versions].sort(), ['v1', 'v2']);
});
