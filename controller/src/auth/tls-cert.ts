import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { bitString, bool, explicit, integer, octets, oid, seq, set, time, tlv, utf8 } from './der.js';

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
}

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // Expand "::" then pack eight 16-bit groups.
  const [head, tail] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(groups.flatMap((g) => { const v = parseInt(g, 16); return [v >> 8, v & 0xff]; }));
}

/**
 * A self-signed ECDSA P-256 certificate (widely supported by TLS clients) for
 * the given names, valid ten years. Agents and operators pin its public key,
 * so names only matter to clients that do ordinary CA verification.
 */
export function createSelfSignedCert(names: string[], now = new Date()): TlsMaterial {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const sigAlg = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(set(seq(oid('2.5.4.3'), utf8('drover-controller'))));
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const notAfter = new Date(now.getTime() + 10 * 365 * 24 * 60 * 60 * 1000);
  const altNames = [...new Set(names)].map((n) => (isIP(n) ? tlv(0x87, ipBytes(n)) : tlv(0x82, Buffer.from(n, 'ascii'))));
  const extensions = explicit(3, seq(
    seq(oid('2.5.29.19'), bool(true), octets(seq())), // basicConstraints: not a CA
    seq(oid('2.5.29.17'), octets(seq(...altNames))),
  ));
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    sigAlg,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey);
  const cert = seq(tbs, sigAlg, bitString(signature));
  return { certPem: toPem('CERTIFICATE', cert), keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** Checks that a certificate and key belong together; returns the certificate's public key. */
export function checkTlsPair(certPem: string, keyPem: string, where: string): KeyObject {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new Error(`${where}: certificate is not valid PEM/X.509 (${(err as Error).message})`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new Error(`${where}: private key is not valid PEM (${(err as Error).message})`);
  }
  if (!cert.checkPrivateKey(key)) throw new Error(`${where}: the private key does not match the certificate`);
  return cert.publicKey;
}
