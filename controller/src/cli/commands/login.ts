import { UserError } from '@drover/shared';
import { FINGERPRINT_PATTERN, connectPinned, PinMismatchError } from '@drover/shared/protocol';
import type { Command } from '../command.js';
import { parseOrUsage, usageError } from '../args/parse.js';

const USAGE = `Usage: drover login URL --token TOKEN [--fingerprint sha256:HEX] [--context NAME] [--no-use]

Stores the controller URL, operator token and pinned TLS key fingerprint as
context NAME (default: "default") in ~/.config/drover/credentials.json
(mode 0600), replacing only that context, and makes it the current context
unless --no-use is given (a file's only context is current all the same). Without --fingerprint the key the controller
presents now is pinned and printed: compare it with the one
\`drover controller serve\` printed. See \`drover context --help\` to list,
switch and remove contexts. DROVER_CONTROLLER, DROVER_TOKEN and
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
  summary: 'store controller URL, operator token and pinned TLS key (as a named context)',
  async run(argv) {
    const { values, positionals } = parseOrUsage(argv, {
      token: { type: 'string' }, fingerprint: { type: 'string' }, context: { type: 'string' }, 'no-use': { type: 'boolean' },
    }, USAGE);
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
    const { CONTEXT_NAME_PATTERN, DEFAULT_CONTEXT, getContext, readCredentialsFile, saveCredentials } = await import('../../client/operator-config.js');
    const context = values.context ?? DEFAULT_CONTEXT;
    if (!CONTEXT_NAME_PATTERN.test(context)) throw usageError(`--context: "${context}" is not a valid name (letters, digits, ".", "_" and "-", starting with a letter or digit)`, USAGE);
    const use = !values['no-use'];
    // Fails now, before contacting the controller, if the file cannot be read: it may hold other contexts.
    const before = readCredentialsFile();
    if (values.fingerprint && !FINGERPRINT_PATTERN.test(values.fingerprint)) throw usageError('--fingerprint: expected sha256:<64 hex digits>', USAGE);
    let fingerprint: string | null = null;
    if (url.protocol === 'https:') {
      fingerprint = values.fingerprint ?? await presentedFingerprint(url);
      if (!values.fingerprint) process.stderr.write(`pinning the controller's TLS key ${fingerprint}\n  compare it with the fingerprint \`drover controller serve\` printed\n`);
    }
    const { OperatorClient } = await import('../../client/operator-client.js');
    const creds = { controller: url.origin, token, fingerprint };
    const client = new OperatorClient(creds);
    try {
      const me = await client.whoami();
      const replaced = getContext(before, context) !== undefined;
      const path = saveCredentials(creds, process.env, { context, use });
      const current = readCredentialsFile().current;
      const as = `${replaced ? 'replaced' : 'saved'} context "${context}"`;
      const state = use ? ' (now current)'
        : current === null ? ` (not current: no context is; \`drover context use ${context}\` selects it)`
          : current !== context ? ` (not current: "${current}" still is)`
            : before.current === context ? ' (it is the current context)' : ' (current: it is the only context)';
      console.log(`logged in to ${url.origin} (controller ${me.controllerId}) as "${me.tokenName}" with scope ${me.scope}; ${as}${state} in ${path}`);
      const envContext = process.env.DROVER_CONTEXT;
      if (envContext && envContext !== context) process.stderr.write(`note: DROVER_CONTEXT=${envContext} selects context "${envContext}" in this shell, not "${context}"\n`);
      return 0;
    } finally {
      await client.close();
    }
  },
};
