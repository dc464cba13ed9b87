import { Agent, type Dispatcher } from 'undici';
import { connectPinned } from '@drover/shared/protocol';

/** undici dispatcher that talks only to a server presenting the pinned TLS key. */
export function pinnedDispatcher(fingerprint: string): Dispatcher {
  return new Agent({
    connect: (opts, cb) => {
      connectPinned({ host: opts.hostname, port: Number(opts.port) || 443, servername: opts.servername ?? undefined, alpn: ['http/1.1'] }, fingerprint, (err, socket) => {
        if (err) cb(err, null);
        else cb(null, socket);
      });
    },
  });
}
