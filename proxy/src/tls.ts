/** Custom certificates and SNI selection. ACME (Let's Encrypt) issuance is not implemented. */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

export class CertificateLoadError extends Error {
  constructor() {
    super('unable to load certificate');
  }
}

/** Loads a PEM certificate/key pair into a secure context; any problem -> "unable to load certificate". */
export function loadCertificate(certificatePath: string, privateKeyPath: string): tls.SecureContext {
  try {
    const cert = readFileSync(certificatePath);
    const key = readFileSync(privateKeyPath);
    return tls.createSecureContext({ cert, key });
  } catch {
    throw new CertificateLoadError();
  }
}
