import { UserError } from '@drover/shared';
import { usageError } from '../framework/errors.js';
import type { CommandSpec, Invocation } from '../framework/spec.js';


/** Learns the key a controller presents (used only when no fingerprint was given). */
async function presentedFingerprint(url: URL): Promise<string> {
  const { connectPinned, PinMismatchError } = await import('@drover/shared/protocol');
  return new Promise((resolve, reject) => {
    // A pin that cannot match makes connectPinned report the actual key.
    connectPinned({ host: url.hostname, port: Number(url.port) || 443 }, 'sha256:none', (err, socket) => {
      socket.destroy();
      if (err instanceof PinMismatchError && err.actual) resolve(err.actual);
      else reject(new UserError(`cannot reach ${url.origin}: ${err?.message ?? 'no certificate presented'}`));
    });
  });
}

async function login(inv: Invocation): Promise<number> {
  const { FINGERPRINT_PATTERN } = await import('@drover/shared/protocol');
  const { io } = inv;
  const help = inv.help;
  const text = (name: string) => (typeof inv.options[name] === 'string' ? inv.options[name] as string : undefined);
  const values = { token: text('token'), fingerprint: text('fingerprint'), context: inv.globals.context, 'no-use': inv.options['no-use'] === true };
  const positionals = inv.args;
  const token = values.token ?? io.env.DROVER_TOKEN;
  if (!token) throw usageError('--token is required', help);
  let url: URL;
  try {
    url = new URL(positionals[0]!);
  } catch {
    throw usageError(`not a URL: "${positionals[0]}"`, help);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw usageError('the controller URL must start with https://', help);
  const { CONTEXT_NAME_PATTERN, DEFAULT_CONTEXT, getContext, readCredentialsFile, saveCredentials } = await import('../../client/operator-config.js');
  const context = values.context ?? DEFAULT_CONTEXT;
  if (!CONTEXT_NAME_PATTERN.test(context)) throw usageError(`--context: "${context}" is not a valid name (letters, digits, ".", "_" and "-", starting with a letter or digit)`, help);
  const use = !values['no-use'];
  // Fails now, before contacting the controller, if the file cannot be read: it may hold other contexts.
  const before = readCredentialsFile(io.env);
  if (values.fingerprint && !FINGERPRINT_PATTERN.test(values.fingerprint)) throw usageError('--fingerprint: expected sha256:<64 hex digits>', help);
  let fingerprint: string | null = null;
  if (url.protocol === 'https:') {
    fingerprint = values.fingerprint ?? await presentedFingerprint(url);
    if (!values.fingerprint) io.err(`pinning the controller's TLS key ${fingerprint}\n  compare it with the fingerprint \`drover controller serve\` printed`);
  }
  const { OperatorClient } = await import('../../client/operator-client.js');
  const creds = { controller: url.origin, token, fingerprint };
  const client = new OperatorClient(creds);
  try {
    const me = await client.whoami();
    const replaced = getContext(before, context) !== undefined;
    const path = saveCredentials(creds, io.env, { context, use });
    const current = readCredentialsFile().current;
    const as = `${replaced ? 'replaced' : 'saved'} context "${context}"`;
    const state = use ? ' (now current)'
      : current === null ? ` (not current: no context is; \`drover context use ${context}\` selects it)`
        : current !== context ? ` (not current: "${current}" still is)`
          : before.current === context ? ' (it is the current context)' : ' (current: it is the only context)';
    io.out(`logged in to ${url.origin} (controller ${me.controllerId}) as "${me.tokenName}" with scope ${me.scope}; ${as}${state} in ${path}`);
    const envContext = io.env.DROVER_CONTEXT;
    if (envContext && envContext !== context) io.err(`note: DROVER_CONTEXT=${envContext} selects context "${envContext}" in this shell, not "${context}"`);
    return 0;
  } finally {
    await client.close();
  }
}

export const loginCommand: CommandSpec = {
  name: 'login',
  summary: 'Store a controller URL, operator token and pinned TLS key (as a named context)',
  usage: 'URL',
  args: { min: 1, max: 1 },
  kamalGlobals: false,
  description: `Stores the controller URL, operator token and pinned TLS key fingerprint as context NAME
(--context, default "default") in ~/.config/drover/credentials.json (mode 0600), replacing only that
context, and makes it the current context unless --no-use is given (a file's only context is current
all the same). Without --fingerprint the key the controller presents now is pinned and printed:
compare it with the one \`drover controller serve\` printed. See \`drover context --help\`.
DROVER_CONTROLLER, DROVER_TOKEN and DROVER_FINGERPRINT override the stored values (for CI).`,
  options: {
    token: { type: 'string', value: 'TOKEN', description: 'The operator token (or $DROVER_TOKEN)' },
    fingerprint: { type: 'string', value: 'sha256:HEX', description: "The controller's TLS public-key fingerprint" },
    'no-use': { type: 'boolean', description: 'Save the context without making it current' },
  },
  run: login,
};
