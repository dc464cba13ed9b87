import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, followProgress, waitFor } from '../rig/index.js';
import { httpGet } from './http-get.js';

test('the sample app, built and pushed on the operator side, runs on two NAT\'d hosts', async (t) => {
  const rig = await Rig.start({ hosts: ['web-1', 'web-2'] });
  t.after(() => rig.stop());
  const ref = await rig.buildSampleApp({ version: 'smoke-1' });
  const auth = { username: rig.registry.username, password: rig.registry.password, serveraddress: rig.registry.server };

  for (const host of rig.hosts) {
    await followProgress(host.docker, await host.docker.pull(ref, { authconfig: auth }));
    const image = await host.docker.getImage(ref).inspect();
    assert.equal(image.Config.Labels?.service, 'sample-app', 'the image carries the service label Kamal checks');

    const container = await host.docker.createContainer({
      Image: ref,
      name: 'sample-app-web-smoke-1',
      HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } },
      ExposedPorts: { '80/tcp': {} },
    });
    await container.start();
    const version = await waitFor(`sample app on ${host.name}`, async () =>
      (await host.exec(['busybox', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/version'], { check: false })).stdout || undefined);
    assert.equal(version.trim(), 'smoke-1');
    const who = await host.exec(['busybox', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/cgi-bin/whoami']);
    assert.match(who.stdout, /^sample-app smoke-1 [0-9a-f]{12}$/m);
    // The host's own dockerd runs it: the other host has no such container.
    const names = (await host.docker.listContainers()).map((c) => c.Names[0]);
    assert.deepEqual(names, ['/sample-app-web-smoke-1']);
  }

  // Nothing on the operator side reaches into a host, not even the app it runs.
  for (const host of rig.hosts) {
    await assert.rejects(httpGet(`http://${host.address}:8080/version`, 1_500), /timeout|EHOSTUNREACH|ECONNREFUSED/);
  }
});

test('an image missing from the registry cannot be pulled, and a wrong password is refused', async (t) => {
  const rig = await Rig.start({ hosts: ['solo'] });
  t.after(() => rig.stop());
  const host = rig.host('solo');
  const good = { username: rig.registry.username, password: rig.registry.password, serveraddress: rig.registry.server };
  await assert.rejects(
    (async () => followProgress(host.docker, await host.docker.pull(`${rig.registry.server}/drover/absent:1`, { authconfig: good })))(),
    /not found|manifest unknown/i,
  );
  const ref = await rig.buildSampleApp({ version: 'auth-1' });
  await assert.rejects(
    (async () => followProgress(host.docker, await host.docker.pull(ref, { authconfig: { ...good, password: 'wrong' } })))(),
    /unauthorized|authentication required|no basic auth/i,
  );
});
