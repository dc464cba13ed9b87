import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fingerprintOfKey } from '@drover/shared/protocol';
import { DataDirInUseError, lockDataDir } from '../store/data-dir-lock.js';
import { ensurePrivateDir, writeSecretFile } from '../store/secure-file.js';
import { checkTlsPair, createSelfSignedCert } from './tls-cert.js';

/** Who this controller is: its signing key, id, and TLS material. */
export interface ControllerIdentity {
  /** Ed25519 key that signs join tokens. */
  signingKey: KeyObject;
  verifyKey: KeyObject;
  /** Stable id derived from the signing key; the audience of agent auth JWTs. */
  controllerId: string;
  tls: { certPem: string; keyPem: string };
  /** `sha256:<hex>` of the TLS public key, pinned by agents and operators. */
  fingerprint: string;
  /** True if the TLS certificate was generated during this call. */
  generatedCert: boolean;
}

/** The files of a controller's own identity: its signing key and self-signed TLS pair, made at first start. */
const IDENTITY_FILES = ['controller-key.pem', join('tls', 'cert.pem'), join('tls', 'key.pem')];
const identityMade = (dataDir: string): boolean => IDENTITY_FILES.every((file) => existsSync(join(dataDir, file)));

export function controllerIdOf(verifyKey: KeyObject): string {
  const spki = verifyKey.export({ type: 'spki', format: 'der' });
  return `ctl-${createHash('sha256').update(spki).digest('hex').slice(0, 24)}`;
}

/** Loads the controller signing key from the data dir, creating it (0600) on first start. */
export function loadSigningKey(dataDir: string): { signingKey: KeyObject; verifyKey: KeyObject; controllerId: string } {
  const path = join(dataDir, 'controller-key.pem');
  let signingKey: KeyObject;
  if (existsSync(path)) {
    try {
      signingKey = createPrivateKey(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new Error(`${path}: not a readable private key (${(err as Error).message})`);
    }
    if (signingKey.asymmetricKeyType !== 'ed25519') throw new Error(`${path}: expected an Ed25519 key, found ${signingKey.asymmetricKeyType}`);
  } else {
    ensurePrivateDir(dataDir);
    signingKey = generateKeyPairSync('ed25519').privateKey;
    writeSecretFile(path, signingKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  }
  const verifyKey = createPublicKey(signingKey);
  return { signingKey, verifyKey, controllerId: controllerIdOf(verifyKey) };
}

/**
 * Loads everything the controller needs to prove who it is. Without an
 * operator-supplied certificate one is generated once and kept in the data dir,
 * so the fingerprint agents pinned stays valid across restarts.
 */
export function loadControllerIdentity(dataDir: string, opts: { certFile?: string; keyFile?: string; extraNames?: string[] } = {}): ControllerIdentity {
  const keys = loadSigningKey(dataDir);
  let certPem: string;
  let keyPem: string;
  let generatedCert = false;
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile || !opts.keyFile) throw new Error('--tls-cert and --tls-key must be given together');
    certPem = readFileSync(opts.certFile, 'utf8');
    keyPem = readFileSync(opts.keyFile, 'utf8');
    checkTlsPair(certPem, keyPem, opts.certFile);
  } else {
    const certPath = join(dataDir, 'tls', 'cert.pem');
    const keyPath = join(dataDir, 'tls', 'key.pem');
    if (existsSync(certPath) && existsSync(keyPath)) {
      certPem = readFileSync(certPath, 'utf8');
      keyPem = readFileSync(keyPath, 'utf8');
      checkTlsPair(certPem, keyPem, certPath);
    } else {
      ({ certPem, keyPem } = createSelfSignedCert(['localhost', '127.0.0.1', '::1', hostname(), ...(opts.extraNames ?? [])]));
      writeSecretFile(keyPath, keyPem);
      writeSecretFile(certPath, certPem);
      generatedCert = true;
    }
  }
  const fingerprint = fingerprintOfKey(new X509Certificate(certPem).publicKey);
  return { ...keys, tls: { certPem, keyPem }, fingerprint, generatedCert };
}

/**
 * The fingerprint operators pin, for commands run beside the controller on its host (`drover controller
 * token create`). On a data dir no controller has started on yet the identity is made here, but only under
 * the data-dir lock: a controller starting at the same moment would otherwise generate its own keys, one
 * would overwrite the other's files, and its fingerprint and id would change at its next start.
 * When a controller holds the lock it makes the identity itself, and this reads it; null when that
 * controller keeps no self-signed certificate (it serves --tls-cert).
 */
export function operatorFingerprint(dataDir: string): string | null {
  if (identityMade(dataDir)) return loadControllerIdentity(dataDir).fingerprint;
  let lock;
  try {
    lock = lockDataDir(dataDir);
  } catch (err) {
    if (!(err instanceof DataDirInUseError)) throw err;
    return identityMade(dataDir) ? loadControllerIdentity(dataDir).fingerprint : null;
  }
  try {
    return loadControllerIdentity(dataDir).fingerprint;
  } finally {
    lock.release();
  }
}
