import { request, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Reply { status: number; body: string }

function collect(res: IncomingMessage, resolve: (r: Reply) => void, reject: (e: Error) => void): void {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (c: string) => (body += c));
  res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
  res.on('error', reject);
}

/** GET from the operator side; resolves to status and body, rejects on a network error or after timeoutMs. */
export function httpGet(url: string, timeoutMs = 2_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: timeoutMs, agent: false }, (res) => collect(res, resolve, reject));
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * GET `path` from `address` (port 80, or 443 with `tls`) for the virtual host `host`: the Host header,
 * and with TLS the SNI name, verified against `tls.ca`.
 */
export function getVia(address: string, host: string, path = '/version', tls: { ca: string } | null = null, timeoutMs = 5_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const options = { host: address, port: tls ? 443 : 80, path, headers: { Host: host }, agent: false as const, timeout: timeoutMs };
    const req = tls
      ? httpsRequest({ ...options, servername: host, ca: tls.ca }, (res) => collect(res, resolve, reject))
      : request(options, (res) => collect(res, resolve, reject));
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** What /version answers through kamal-proxy for `host` ('HTTP <status>' otherwise, 'down: …' when nothing answers). */
export async function versionVia(address: string, host: string, tls: { ca: string } | null = null): Promise<string> {
  try {
    const r = await getVia(address, host, '/version', tls);
    return r.status === 200 ? r.body.trim() : `HTTP ${r.status}`;
  } catch (e) {
    return `down: ${(e as Error).message}`;
  }
}
