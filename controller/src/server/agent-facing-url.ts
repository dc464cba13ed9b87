import { isIP } from 'node:net';

const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const HOST_AND_PORT = /^(\[[0-9a-f:.]+\]|[^[\]:]+)(?::(\d{1,5}))?$/i;

/** Whether `authority` is a hostname, IPv4 literal or bracketed IPv6 literal with an optional port, and nothing else. */
export function isHostAndPort(authority: string): boolean {
  const m = HOST_AND_PORT.exec(authority);
  if (!m) return false;
  const [, host = '', port] = m;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) return false;
  if (host.startsWith('[')) return isIP(host.slice(1, -1)) === 6;
  if (isIP(host) === 4) return true;
  return host.length <= 253 && host.split('.').every((label) => HOST_LABEL.test(label));
}

/** `http(s)://HOST[:PORT]` with a valid authority, as `--public-url` and join tokens carry it; null otherwise. */
export function agentFacingUrl(scheme: string, authority: string | undefined): string | null {
  if (scheme !== 'https' && scheme !== 'http') return null;
  return authority !== undefined && isHostAndPort(authority) ? `${scheme}://${authority}` : null;
}

/** Splits `http(s)://HOST[:PORT]` and validates it; null for anything else (paths, credentials, shell syntax). */
export function parseAgentFacingUrl(url: string): string | null {
  const m = /^(https?):\/\/(.*)$/.exec(url);
  return m ? agentFacingUrl(m[1]!, m[2]) : null;
}

/** One POSIX shell word: single-quoted, with embedded quotes closed, escaped and reopened. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}
