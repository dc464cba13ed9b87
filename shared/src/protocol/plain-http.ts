/**
 * Hosts plain HTTP is allowed on, for both ends: the controller serves `--insecure-http` only when it listens
 * on one of them, and an agent dials an `http://` controller only at one of them. Anywhere else the join
 * token, the agent's signed challenge and every operation (with its secrets) would cross a network unencrypted.
 */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

/** True for a loopback host, also written as a URL writes IPv6 (`[::1]`). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase().replace(/^\[(.*)\]$/, '$1'));
}

/** Why an agent must not talk to the controller at `url`, or null when it may (https, or http on loopback). */
export function plainHttpRefusal(url: URL): string | null {
  if (url.protocol === 'https:' || url.protocol === 'wss:') return null;
  if (url.protocol !== 'http:' && url.protocol !== 'ws:') return `controller URL scheme ${url.protocol} is not supported; expected https://`;
  if (isLoopbackHost(url.hostname)) return null;
  return `refusing plain http:// to ${url.host}: a controller that is not on loopback must be reached over https://`;
}
