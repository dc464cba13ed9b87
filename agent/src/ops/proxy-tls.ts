import { chmod, chown } from 'node:fs/promises';
import type Dockerode from 'dockerode';
import { execCapture } from './exec-capture.js';
import { removePath, writeHostFile } from './host-files.js';
import { PROXY_CONTAINER, hostPaths, proxyTlsPaths } from './names.js';

/** Kamal uploads both PEM files 0644: kamal-proxy runs as an unprivileged user in its container. */
const KAMAL_TLS_MODE = 0o644;
const PRIVATE_KEY_MODE = 0o600;

export interface PlacedTls {
  /** Where kamal-proxy sees the files, for `--tls-certificate-path` / `--tls-private-key-path`. */
  cert: string;
  key: string;
  /** True when the private key is 0600 and owned by the proxy's user; false when it is Kamal's 0644. */
  keyPrivate: boolean;
}

/**
 * Puts the custom TLS certificate where kamal-proxy's `--tls-certificate-path` points. The
 * certificate is 0644, as Kamal uploads it. The private key is 0600, owned by the user kamal-proxy
 * runs as in its container, once the proxy has shown it can read it that way (the uid it reports
 * is the host's unless dockerd remaps users); otherwise it stays 0644 as Kamal leaves it.
 */
export async function placeTls(deps: { docker: Dockerode; runDirectory: string }, svcDest: string, role: string | null, tls: { certificatePem: string; privateKeyPem: string }): Promise<PlacedTls> {
  const dir = hostPaths.tlsDir(deps.runDirectory, svcDest, role);
  const seen = proxyTlsPaths(svcDest, role);
  await writeHostFile(`${dir}/cert.pem`, tls.certificatePem, KAMAL_TLS_MODE, 'TLS certificate');
  const keyPath = `${dir}/key.pem`;
  // Removed first so the new key is created 0600 rather than written into an older 0644 file.
  await removePath(keyPath);
  await writeHostFile(keyPath, tls.privateKeyPem, PRIVATE_KEY_MODE, 'TLS private key');
  const owner = await proxyUser(deps.docker);
  if (owner) {
    await chown(keyPath, owner.uid, owner.gid);
    if (await proxyCanRead(deps.docker, seen.key)) return { ...seen, keyPrivate: true };
  }
  await chmod(keyPath, KAMAL_TLS_MODE);
  return { ...seen, keyPrivate: false };
}

/** The uid and gid kamal-proxy's container runs as (`id`), or null when it can't tell. */
async function proxyUser(docker: Dockerode): Promise<{ uid: number; gid: number } | null> {
  try {
    const r = await execCapture(docker, PROXY_CONTAINER, ['id']);
    const m = /uid=(\d+)\b.*\bgid=(\d+)\b/.exec(r.stdout);
    return r.exitCode === 0 && m ? { uid: Number(m[1]), gid: Number(m[2]) } : null;
  } catch {
    return null;
  }
}

async function proxyCanRead(docker: Dockerode, containerPath: string): Promise<boolean> {
  try {
    return (await execCapture(docker, PROXY_CONTAINER, ['test', '-r', containerPath])).exitCode === 0;
  } catch {
    return false;
  }
}
