import { UserError } from '@drover/shared';
import { FINGERPRINT_PATTERN, connectPinned, PinMismatchError } from '@drover/shared/protocol';
import type { Command } from '../command.js';
import { parseOrUsage, usageError } from '../args/parse.js';

const USAGE = `Usage: drover login URL --token TOKEN [--fingerprint sha256:HEX]

Stores the controller URL, operator token and pinned TLS key fingerprint in
~/.config/drover/credentials.json (mode 0600). Without --fingerprint the key the
controller presents now is pinned and printed: compare it with the one
\`drover controller serve\` printed. DROVER_CONTROLLER, DROVER_TOKEN and
DROVER_FINGERPRINT override the stored values (for CI).`;

/** Learns the key a controller presents (used only when no fingerprint was given). */
function presentedFingerprint(url: URL): Promise<string> {
  return new Promise((resolve, reject) => {
    // A pin that cannot match makes connectPinned report the actual key.
    connectPinned({ host: url.hostname, port: Number(url.port) || 443 }, 'sha256:none', (err, socket) => {
      socket.destroy();
      if (err instanceof PinMismatchError && err.actual) resolve(err.actual);
      else reject(new UserError(`cannot reach ${url.origin}: ${err?.message ?? 'no certificate presented'}`));
    });
  });
}

export const command: Command = {
  summary: 'store controller URL, operator token and pinned TLS key',
  async run(argv) {
    const { values, positionals } = parseOrUsage(argv, { token: { type: 'string' }, fingerprint: { type: 'string' } }, USAGE);
    if (values.help) return (console.log(USAGE), 0);
    if (positionals.length !== 1) throw usageError('expected exactly one controller URL', USAGE);
    const token = values.token ?? process.env.DROVER_TOKEN;
    if (!token) throw usageError('--token is required', USAGE);
    let url: URL;
    try {
      url = new URL(positionals[0]!);
    } catch {
      throw usageError(`not a URL: "${positionals[0]}"`, USAGE);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw usageError('the controller URL must start with https://', USAGE);
    if (values.fingerprint && !FINGERPRINT_PATTERN.test(values.fingerprint)) throw usageError('--fingerprint: expected sha256:<64 hex digits>', USAGE);
    let fingerprint: string | null = null;
    if (url.protocol === 'https:') {
      fingerprint = values.fingerprint ?? await presentedFingerprint(url);
      if (!values.fingerprint) process.stderr.write(`pinning the controller's TLS key ${fingerprint}\n  compare it with the fingerprint \`drover controller serve\` printed\n`);
    }
    const { OperatorClient } = await import('../../client/operator-client.js');
    const { saveCredentials } = await import('../../client/operator-config.js');
    const creds = { controller: url.origin, token, fingerprint };
    const client = new OperatorClient(creds);
    try {
      const me = await client.whoami();
      const path = saveCredentials(creds);
      console.log(`logged in to ${url.origin} (controller ${me.controllerId}) as "${me.tokenName}" with scope ${me.scope}; saved to ${path}`);
      return 0;
    } finally {
      await client.close();
    }
  },
};
