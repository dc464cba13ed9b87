import { Agent, type Dispatcher } from 'undici';
import { connectPinned } from '@drover/shared/protocol';

/** For tests that speak raw HTTP to the controller: an undici dispatcher that only talks to the pinned key. */
export function pinnedDispatcher(fingerprint: string | null): Dispatcher {
  if (!fingerprint) return new Agent();
  return new Agent({
    connect: (opts, cb) => {
      connectPinned({ host: opts.hostname, port: Number(opts.port) || 443, servername: opts.servername ?? undefined, alpn: ['http/1.1'] }, fingerprint, (err, socket) => {
        if (err) cb(err, null);
        else cb(null, socket);
      });
    },
  });
}
