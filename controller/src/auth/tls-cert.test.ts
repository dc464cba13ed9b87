import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer, connect, type TLSSocket } from 'node:tls';
import { fingerprintOfKey, peerFingerprint } from '@drover/shared/protocol';
import { checkTlsPair, createSelfSignedCert } from './tls-cert.js';

test('self-signed certificate parses, matches its key and names its hosts', () => {
  const { certPem, keyPem } = createSelfSignedCert(['localhost', '127.0.0.1', '::1', 'ctl.example']);
  const cert = new X509Certificate(certPem);
  assert.equal(cert.subject, 'CN=drover-controller');
  assert.ok(cert.verify(cert.publicKey));
  assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
  assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.match(cert.subjectAltName ?? '', /IP Address:0:0:0:0:0:0:0:1/i);
  assert.match(cert.subjectAltName ?? '', /DNS:ctl\.example/);
  assert.ok(new Date(cert.validTo).getTime() > Date.now() + 9 * 365 * 86400_000);
  checkTlsPair(certPem, keyPem, 'test');
  const other = createSelfSignedCert(['localhost']);
  assert.throws(() => checkTlsPair(certPem, other.keyPem, 'test'), /does not match/);
});

test('a TLS server using it presents the fingerprint the client computes', async () => {
  const { certPem, keyPem } = createSelfSignedCert(['localhost']);
  const expected = fingerprintOfKey(new X509Certificate(certPem).publicKey);
  const server = createServer({ cert: certPem, key: keyPem }, (s) => s.end('hi'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const got = await new Promise<string | null>((resolve, reject) => {
      const s: TLSSocket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        resolve(peerFingerprint(s));
        s.destroy();
      });
      s.on('error', reject);
    });
    assert.equal(got, expected);
  } finally {
    server.close();
  }
});
