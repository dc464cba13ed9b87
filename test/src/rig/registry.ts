import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { run, waitFor } from './exec.js';
import { processAlive } from './lock.js';
import type { Pki } from './pki.js';

export interface RegistryInfo {
  /** host:port as it appears in image names and in Kamal's `registry.server`. */
  server: string;
  url: string;
  username: string;
  password: string;
  /** The CA that signed the registry's certificate. */
  caFile: string;
}

export const REGISTRY_USER = 'drover';

/** Answers the registry's /v2/ with the status code, or throws when nothing listens. */
export function probeRegistry(url: string, ca: string, auth?: { username: string; password: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    const req = request(`${url}/v2/`, { ca, headers, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Starts Debian's docker-registry with TLS and htpasswd auth, or reuses the one already running. */
export async function ensureRegistry(dir: string, address: string, port: number, pki: Pki): Promise<RegistryInfo> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const passwordFile = join(dir, 'password');
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(12).toString('hex'), { mode: 0o600 });
  const info: RegistryInfo = {
    server: `${address}:${port}`,
    url: `https://${address}:${port}`,
    username: REGISTRY_USER,
    password: readFileSync(passwordFile, 'utf8').trim(),
    caFile: pki.caCert,
  };
  const ca = readFileSync(pki.caCert, 'utf8');
  const pidFile = join(dir, 'registry.pid');
  const running = existsSync(pidFile) && processAlive(Number(readFileSync(pidFile, 'utf8')));
  if (running && (await probeRegistry(info.url, ca).catch(() => 0)) === 401) return info;
  if (running) await run(['kill', '-9', readFileSync(pidFile, 'utf8').trim()], { check: false });

  const htpasswd = join(dir, 'htpasswd');
  await run(['htpasswd', '-Bbc', htpasswd, info.username, info.password]);
  const config = join(dir, 'config.yml');
  writeFileSync(config, [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${address}:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    '  tls:',
    `    certificate: ${pki.serverCert}`,
    `    key: ${pki.serverKey}`,
    'auth:',
    '  htpasswd:',
    '    realm: drover-rig',
    `    path: ${htpasswd}`,
    '',
  ].join('\n'), { mode: 0o600 });
  const log = openSync(join(dir, 'registry.log'), 'a');
  const child = spawn('docker-registry', ['serve', config], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  writeFileSync(pidFile, String(child.pid));
  await waitFor(`registry at ${info.url}`, async () => ((await probeRegistry(info.url, ca)) === 401 ? true : undefined), 30_000);
  return info;
}
