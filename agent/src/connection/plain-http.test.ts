import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainHttpRefusal } from '@drover/shared/protocol';
import { createLogger } from '../log.js';
import { saveIdentity } from '../state/agent-state.js';
import { enroll } from './enroll.js';
import { runAgent } from './run-agent.js';

const FP = `sha256:${'ab'.repeat(32)}`;

/** A join token as the agent reads it (claims only; the controller checks the signature). */
function joinToken(url: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return [part({ alg: 'EdDSA' }), part({ iss: 'ctl-x', aud: 'drover:enroll', jti: 'jti-12345678', iat: now, exp: now + 600, drover: { url, fp: FP, labels: {}, reusable: false } }), 'sig'].join('.');
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-plain-http-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('plain http is allowed to loopback controllers only', () => {
  for (const ok of ['https://10.0.0.1:7443', 'http://127.0.0.1:7443', 'http://localhost:1', 'http://[::1]:7443', 'wss://example.com']) assert.equal(plainHttpRefusal(new URL(ok)), null, ok);
  for (const bad of ['http://10.0.0.1:7443', 'http://example.com', 'http://127.0.0.1.example.com', 'ws://192.168.1.2', 'ftp://10.0.0.1']) assert.notEqual(plainHttpRefusal(new URL(bad)), null, bad);
});

test('enroll refuses an http:// controller that is not on loopback, before sending the token', { timeout: 20_000 }, async (t) => {
  const dataDir = tempDir(t);
  await assert.rejects(enroll({ dataDir, token: joinToken('http://10.255.255.1:7443') }), /enroll: refusing plain http:\/\/ to 10\.255\.255\.1:7443/);
  await assert.rejects(enroll({ dataDir, token: joinToken('https://10.255.255.1:7443'), controllerUrl: 'http://ctl.example.com:7443' }), /refusing plain http:\/\/ to ctl\.example\.com:7443/);
  // Loopback passes the check (and then fails to connect: nothing listens on port 1).
  await assert.rejects(enroll({ dataDir, token: joinToken('http://127.0.0.1:1') }), /cannot reach the controller/);
});

test('run refuses an identity whose controller is plain http on another host', { timeout: 10_000 }, async (t) => {
  const dataDir = tempDir(t);
  const { privateKey } = generateKeyPairSync('ed25519');
  saveIdentity(dataDir, { agentId: 'agt-1', name: 'web-1', controllerId: 'ctl-x', controllerUrl: 'http://10.255.255.1:7443', fingerprint: FP, enrolledAt: Date.now() }, privateKey);
  const stop = new AbortController();
  t.after(() => stop.abort());
  await assert.rejects(runAgent({ dataDir, log: createLogger(() => undefined), signal: stop.signal, runDirectory: join(dataDir, 'run') }), (e: Error & { exitCode?: number }) =>
    /refusing plain http:\/\/ to 10\.255\.255\.1:7443/.test(e.message) && e.exitCode === 3);
});

test('enroll talks only to a controller holding the pinned key: another key gets no request, so never the token', { timeout: 20_000 }, async (t) => {
  const dataDir = tempDir(t);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=impostor', '-days', '1',
    '-keyout', join(dataDir, 'key.pem'), '-out', join(dataDir, 'cert.pem')], { stdio: 'ignore' });
  let requests = 0;
  const server = createServer({ key: readFileSync(join(dataDir, 'key.pem')), cert: readFileSync(join(dataDir, 'cert.pem')) }, (_req, res) => {
    requests++;
    res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await assert.rejects(enroll({ dataDir, token: joinToken(url) }), /^UserError: enroll: 127\.0\.0\.1:\d+ presented TLS key sha256:[0-9a-f]{64}, but sha256:(ab){32} is pinned; refusing to talk to it$/);
  assert.equal(requests, 0);
});
