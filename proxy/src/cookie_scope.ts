/** --scope-cookie-paths: prefix Set-Cookie Path with the matched path prefix (first-party cookies only). */

export function scopeCookie(cookie: string, prefix: string, requestHost: string): string {
  const parts = cookie.split(';');
  let pathIndex = -1;
  for (let i = 1; i < parts.length; i++) {
    const [rawName, ...rest] = parts[i]!.split('=');
    const name = rawName!.trim().toLowerCase();
    if (name === 'domain') {
      const domain = rest.join('=').trim().replace(/^\./, '').toLowerCase();
      const host = requestHost.split(':')[0]!.toLowerCase();
      if (domain !== '' && domain !== host) return cookie;
    } else if (name === 'path') {
      pathIndex = i;
    }
  }
  if (pathIndex >= 0) {
    const current = parts[pathIndex]!.split('=').slice(1).join('=').trim();
    const scoped = current === '/' || current === '' ? prefix : prefix + (current.startsWith('/') ? current : '/' + current);
    parts[pathIndex] = ` Path=${scoped}`;
    return parts.join(';');
  }
  return `${cookie}; Path=${prefix}`;
}

export function scopeCookies(cookies: string[], prefix: string, requestHost: string): string[] {
  return cookies.map((c) => scopeCookie(c, prefix, requestHost));
}
