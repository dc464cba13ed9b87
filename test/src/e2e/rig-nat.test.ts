import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OPERATOR_ADDRESS, Rig, followProgress, waitFor, type RigHost } from '../rig/index.js';
import { httpGet } from './http-get.js';

/** An HTTP server on the operator side that answers with the peer address it sees. */
async function operatorEcho(t: { after(fn: () => unknown): void }): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => res.end(req.socket.remoteAddress ?? ''));
  await new Promise<void>((r) => server.listen(0, OPERATOR_ADDRESS, r));
  t.after(() => new Promise((r) => server.close(r)));
  return { server, url: `http://${OPERATOR_ADDRESS}:${(server.address() as AddressInfo).port}/` };
}

/** A plain listener on the host itself (not in a container), like an agent or an admin port would be. */
async function hostListener(host: RigHost, port: number, t: { after(fn: () => unknown): void }): Promise<void> {
  const child = host.spawn([process.execPath, '-e', `require('http').createServer((q, s) => s.end('host ${host.name}')).listen(${port})`], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await waitFor(`listener on ${host.name}:${port}`, async () =>
    (await host.exec(['busybox', 'wget', '-q', '-O', '-', `http://127.0.0.1:${port}/`], { check: false })).code === 0 || undefined);
}

test('hosts reach the operator side through NAT, and nothing reaches them inbound', async (t) => {
  const rig = await Rig.start({ hosts: ['edge-1', 'edge-2'] });
  t.after(() => rig.stop());
  const echo = await operatorEcho(t);
  const host = rig.host('edge-1');

  // Outbound works, and the operator side sees the gateway's address, not the host's: MASQUERADE.
  const seen = await host.exec(['busybox', 'wget', '-q', '-O', '-', echo.url]);
  assert.equal(seen.stdout, rig.topology.wanGatewayAddress);
  assert.notEqual(seen.stdout, host.address);

  // Inbound: a listener on the host is unreachable from the operator side (the route exists, the gateway drops it).
  await hostListener(host, 9000, t);
  await assert.rejects(httpGet(`http://${host.address}:9000/`, 1_500), /timeout/);
  // ... and from a neighbour on the operator's side of the gateway, the host's public address has nothing open either.
  await assert.rejects(httpGet(`http://${host.topology.publicAddress}:9000/`, 1_500), /timeout|EHOSTUNREACH|ECONNREFUSED/);

  // Hosts on the same LAN see each other, like machines in one office.
  const lan = await rig.host('edge-2').exec(['busybox', 'wget', '-q', '-O', '-', `http://${host.address}:9000/`]);
  assert.equal(lan.stdout, 'host edge-1');
});

test('a forwarded port exposes only the app, never the rest of the host', async (t) => {
  const rig = await Rig.start({ hosts: ['web-1'] });
  t.after(() => rig.stop());
  const host = rig.host('web-1');
  const ref = await rig.buildSampleApp({ version: 'nat-1' });
  const auth = { username: rig.registry.username, password: rig.registry.password, serveraddress: rig.registry.server };
  await followProgress(host.docker, await host.docker.pull(ref, { authconfig: auth }));
  const app = await host.docker.createContainer({
    Image: ref, ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '80' }] } },
  });
  await app.start();
  await hostListener(host, 9000, t);

  const publicAddress = await host.publish([80, 443]);
  const reply = await waitFor('the app through the forwarded port', async () => (await httpGet(`http://${publicAddress}/version`)).body || undefined);
  assert.equal(reply.trim(), 'nat-1');
  await assert.rejects(httpGet(`http://${publicAddress}:9000/`, 1_500), /timeout|ECONNREFUSED/);
  await assert.rejects(httpGet(`http://${host.address}:9000/`, 1_500), /timeout/);
});

test('the inbound check depends on the gateway rule: without it the host becomes reachable', async (t) => {
  const rig = await Rig.start({ hosts: ['exposed'] });
  t.after(() => rig.stop());
  const host = rig.host('exposed');
  await hostListener(host, 9000, t);
  await assert.rejects(httpGet(`http://${host.address}:9000/`, 1_500), /timeout/);
  await rig.unsafeRemoveInboundDrop();
  assert.equal((await httpGet(`http://${host.address}:9000/`)).body, 'host exposed');
});
