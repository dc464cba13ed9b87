import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';

/**
 * A controller is identified to agents and operators by the SHA-256 of its TLS
 * public key (DER SubjectPublicKeyInfo), written `sha256:<64 hex>`. Pinning the
 * key rather than the certificate survives certificate renewal with the same key
 * and makes self-signed controllers safe without any "insecure" switch.
 */
export const FINGERPRINT_PATTERN = /^sha256:[0-9a-f]{64}$/;

export function fingerprintOfSpki(spkiDer: Buffer): string {
  return `sha256:${createHash('sha256').update(spkiDer).digest('hex')}`;
}

export function fingerprintOfKey(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return fingerprintOfSpki(pub.export({ type: 'spki', format: 'der' }));
}

/** The same fingerprint in curl's `--pinnedpubkey sha256//<base64>` form. */
export function curlPinOf(fingerprint: string): string {
  return `sha256//${Buffer.from(fingerprint.slice('sha256:'.length), 'hex').toString('base64')}`;
}

/** Fingerprint of the key a connected TLS socket's peer presented, or null if none. */
export function peerFingerprint(socket: TLSSocket): string | null {
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.raw) return null;
  // A process talks to one controller; parsing its certificate once (not per connection) matters in reconnect storms.
  if (lastCert && lastCert.raw.equals(cert.raw)) return lastCert.fingerprint;
  try {
    const fingerprint = fingerprintOfKey(new X509Certificate(cert.raw).publicKey);
    lastCert = { raw: Buffer.from(cert.raw), fingerprint };
    return fingerprint;
  } catch {
    return null;
  }
}

let lastCert: { raw: Buffer; fingerprint: string } | null = null;

// Pinned connections skip CA checks, so they need no per-connection context with the CA store.
let pinnedContext: SecureContext | null = null;

/** The controller presented a TLS key other than the pinned one. */
export class PinMismatchError extends Error {
  readonly code = 'PIN_MISMATCH';
  constructor(readonly expected: string, readonly actual: string | null, where: string) {
    super(`${where} presented TLS key ${actual ?? '(none)'}, but ${expected} is pinned; refusing to talk to it`);
    this.name = 'PinMismatchError';
  }
}

/**
 * Opens a TLS connection that is accepted only if the server's public key has
 * the pinned fingerprint. Chain and name checks are replaced by the pin (the
 * pin is stronger); `onVerified` runs once, with an error on mismatch.
 */
export function connectPinned(
  target: { host: string; port: number; servername?: string; alpn?: string[] },
  fingerprint: string,
  onVerified: (err: Error | null, socket: TLSSocket) => void,
): TLSSocket {
  const host = target.host.replace(/^\[(.*)\]$/, '$1');
  const socket = tlsConnect({
    host, port: target.port, rejectUnauthorized: false, secureContext: (pinnedContext ??= createSecureContext()),
    servername: target.servername ?? (isIP(host) ? undefined : host),
    ALPNProtocols: target.alpn,
  });
  let done = false;
  const finish = (err: Error | null) => {
    if (done) return;
    done = true;
    onVerified(err, socket);
  };
  socket.once('secureConnect', () => {
    const actual = peerFingerprint(socket);
    if (actual !== fingerprint) {
      const err = new PinMismatchError(fingerprint, actual, `${host}:${target.port}`);
      socket.destroy(err);
      finish(err);
    } else finish(null);
  });
  socket.once('error', (err) => finish(err));
  return socket;
}
