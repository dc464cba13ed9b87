import { UserError } from '@drover/shared';
import { parseListen } from '../args/values.js';
import { usageError } from '../framework/errors.js';
import type { CommandSpec, Invocation } from '../framework/spec.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function dataDirOf(inv: Invocation): string {
  const v = inv.options['data-dir'];
  return typeof v === 'string' ? v : inv.io.env.DROVER_DATA_DIR ?? '/var/lib/drover';
}

const text = (inv: Invocation, name: string): string | undefined => (typeof inv.options[name] === 'string' ? inv.options[name] as string : undefined);

async function serve(inv: Invocation): Promise<number> {
  const help = inv.help;
  const values = {
    listen: text(inv, 'listen'), 'tls-cert': text(inv, 'tls-cert'), 'tls-key': text(inv, 'tls-key'), 'public-url': text(inv, 'public-url'),
    'insecure-http': inv.options['insecure-http'] === true, 'log-level': text(inv, 'log-level'), 'heartbeat-ms': text(inv, 'heartbeat-ms'),
  };
  const { host, port } = parseListen(values.listen ?? '0.0.0.0:7443', help);
  if (values['insecure-http'] && !LOOPBACK.has(host)) throw usageError(`--insecure-http is only allowed when listening on loopback, not ${host}`, help);
  if (values['insecure-http'] && (values['tls-cert'] || values['tls-key'])) throw usageError('--insecure-http and --tls-cert/--tls-key contradict each other', help);
  if (values['public-url'] && !/^https?:\/\/[^/\s]+$/.test(values['public-url'])) throw usageError(`--public-url: expected https://HOST[:PORT], got "${values['public-url']}"`, help);
  const heartbeatMs = values['heartbeat-ms'] ? Number(values['heartbeat-ms']) : undefined;
  if (heartbeatMs !== undefined && !(Number.isInteger(heartbeatMs) && heartbeatMs >= 100)) throw usageError('--heartbeat-ms: expected an integer ≥ 100', help);
  const logLevel = values['log-level'] ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) throw usageError(`--log-level: unknown level "${logLevel}"`, help);

  const { startController } = await import('../../server/controller-server.js');
  let running;
  try {
    running = await startController({
      host, port, dataDir: dataDirOf(inv), tlsCertFile: values['tls-cert'], tlsKeyFile: values['tls-key'],
      insecureHttp: values['insecure-http'] ?? false, publicUrl: values['public-url'] ?? null, heartbeatMs, logLevel,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new UserError(`cannot listen on ${host}:${port}: address already in use`);
    if (e.code === 'EACCES') throw new UserError(`cannot listen on ${host}:${port} or use ${dataDirOf(inv)}: permission denied`);
    if (err instanceof Error && !(err instanceof UserError) && /data dir|\.pem|certificate|private key|schema|--tls/.test(err.message)) throw new UserError(err.message);
    throw err;
  }
  const { identity } = running;
  inv.io.err(`drover controller ${identity.controllerId} listening on ${running.url}`);
  if (!values['insecure-http']) {
    inv.io.err(`TLS public-key fingerprint: ${identity.fingerprint}${identity.generatedCert ? ' (new self-signed certificate)' : ''}`);
  }
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      inv.io.err(`drover controller: ${sig} received, shutting down`);
      running.close().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

async function tokenCreate(inv: Invocation): Promise<number> {
  const scope = text(inv, 'scope');
  if (scope !== 'admin' && scope !== 'deploy' && scope !== 'read') throw usageError('--scope must be admin, deploy or read', inv.help);
  const dataDir = dataDirOf(inv);
  const values = { name: text(inv, 'name'), json: inv.globals.json };
  const { SqliteStore } = await import('../../store/sqlite-store.js');
  const { createOperatorToken } = await import('../../auth/operator-token.js');
  const { loadControllerIdentity } = await import('../../auth/controller-identity.js');
  let store;
  try {
    store = new SqliteStore(dataDir);
  } catch (err) {
    throw new UserError(`cannot open controller state in ${dataDir}: ${(err as Error).message}`);
  }
  try {
    const { secret, record } = createOperatorToken(store, scope, values.name ?? `${scope}-token`);
    const { fingerprint } = loadControllerIdentity(dataDir);
    if (values.json) inv.io.out(JSON.stringify({ id: record.id, name: record.name, scope, token: secret, fingerprint }));
    else {
      inv.io.out(secret);
      inv.io.err(`operator token "${record.name}" (scope ${scope}) created; it is shown only once.`);
      inv.io.err(`log in with: drover login https://CONTROLLER:7443 --fingerprint ${fingerprint} --token <token>`);
    }
    return 0;
  } finally {
    store.close();
  }
}

const DATA_DIR = { type: 'string', value: 'DIR', description: 'Controller state (default: $DROVER_DATA_DIR, else /var/lib/drover)' } as const;

export const controllerCommand: CommandSpec = {
  name: 'controller',
  summary: 'Run the controller, manage operator tokens (on the controller host)',
  kamalGlobals: false,
  subcommands: [
    {
      name: 'serve',
      summary: 'Run the controller (HTTPS; a self-signed certificate is made once and its key fingerprint printed)',
      kamalGlobals: false,
      options: {
        listen: { type: 'string', value: 'HOST:PORT', description: 'Where to listen (default 0.0.0.0:7443)' },
        'data-dir': DATA_DIR,
        'tls-cert': { type: 'string', value: 'FILE', description: 'PEM certificate (with --tls-key) instead of the self-signed one' },
        'tls-key': { type: 'string', value: 'FILE', description: 'PEM private key of --tls-cert' },
        'public-url': { type: 'string', value: 'URL', description: 'The URL agents and install scripts use to reach this controller' },
        'insecure-http': { type: 'boolean', description: 'Plain HTTP, only on loopback (tests, a TLS-terminating sidecar)' },
        'log-level': { type: 'string', value: 'LEVEL', description: 'fatal, error, warn, info (default), debug, trace or silent' },
        'heartbeat-ms': { type: 'string', value: 'MS', description: 'Agent ping interval in milliseconds' },
      },
      run: serve,
    },
    {
      name: 'token',
      summary: 'Operator API tokens',
      kamalGlobals: false,
      subcommands: [{
        name: 'create',
        summary: 'Mint an operator API token (shown once)',
        kamalGlobals: false,
        options: {
          scope: { type: 'string', value: 'SCOPE', description: 'admin, deploy or read (required)' },
          name: { type: 'string', value: 'NAME', description: 'A name to recognise it by' },
          'data-dir': DATA_DIR,
        },
        run: tokenCreate,
      }],
    },
  ],
};
