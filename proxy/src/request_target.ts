/**
 * Request-target and Host checks for requests node:http parsed (the fast path only takes
 * origin-form targets with exactly one Host). As Go's server does for kamal-proxy: two Host
 * headers are a 400, and an absolute-form target (`GET http://host/path`, RFC 9112 §3.2.2) is
 * routed by its own host, which replaces the Host header, and forwarded as a plain path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { answerAndClose, BAD_REQUEST } from './client_limits.js';

const ABSOLUTE_FORM = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i;

/** Brings the request to origin-form with one Host; false = answered 400 (on `res`, or the upgrade socket). */
export function checkRequestTarget(req: IncomingMessage, reply: ServerResponse | Duplex): boolean {
  if (hostCount(req.rawHeaders) > 1 || !toOriginForm(req)) {
    if ('writeHead' in reply) {
      reply.writeHead(400, { connection: 'close', 'content-length': 0 });
      reply.end();
    } else {
      answerAndClose(reply, BAD_REQUEST);
    }
    return false;
  }
  return true;
}

function hostCount(raw: string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') n++;
  return n;
}

/** False when the target is absolute-form but unusable (another scheme, no host, userinfo). */
function toOriginForm(req: IncomingMessage): boolean {
  const url = req.url ?? '/';
  if (url.startsWith('/')) return true;
  const m = ABSOLUTE_FORM.exec(url);
  // Asterisk-form (OPTIONS *) and CONNECT's authority-form are routed as they are (to nothing).
  if (!m) return true;
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  const rest = m[3]!;
  if ((scheme !== 'http' && scheme !== 'https') || authority === '' || authority.includes('@')) return false;
  if (rest !== '' && !rest.startsWith('/') && !rest.startsWith('?')) return false;
  req.headers.host = authority;
  req.url = rest.startsWith('/') ? rest : `/${rest}`;
  return true;
}
