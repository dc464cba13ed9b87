import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';

export interface Pki {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

/**
 * A private CA and one server certificate for the operator side's services
 * (the registry), made once with openssl and reused.
 */
export async function ensurePki(dir: string, ipAddresses: string[], dnsNames: string[]): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pki: Pki = {
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
  };
  if (existsSync(pki.caCert) && existsSync(pki.serverCert) && existsSync(pki.serverKey)) return pki;
  const caKey = join(dir, 'ca.key');
  await run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', caKey, '-out', pki.caCert, '-days', '3650', '-subj', '/CN=Drover rig CA']);
  const csr = join(dir, 'server.csr');
  await run(['openssl', 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', pki.serverKey, '-out', csr, '-subj', '/CN=drover-rig-operator']);
  const san = [...ipAddresses.map((ip) => `IP:${ip}`), ...dnsNames.map((d) => `DNS:${d}`)].join(',');
  const ext = join(dir, 'server.ext');
  await run(['sh', '-c', `printf 'subjectAltName=${san}\\nextendedKeyUsage=serverAuth\\n' > '${ext}'`]);
  await run(['openssl', 'x509', '-req', '-in', csr, '-CA', pki.caCert, '-CAkey', caKey, '-CAcreateserial',
    '-out', pki.serverCert, '-days', '3650', '-extfile', ext]);
  return pki;
}
