import { UserError } from '@drover/shared';
import type { Command } from '../command.js';
import { parseListen, parseOrUsage, usageError } from '../args/parse.js';

const USAGE = `Usage:
  drover controller serve [--listen HOST:PORT] [--data-dir DIR] [--tls-cert FILE --tls-key FILE]
                          [--public-url URL] [--insecure-http] [--log-level LEVEL]
  drover controller token create --scope admin|deploy|read [--name NAME] [--data-dir DIR] [--json]

  serve          run the controller (HTTPS on 0.0.0.0:7443 by default; a self-signed
                 certificate is generated once into the data dir and its public-key
                 fingerprint printed)
  token create   mint an operator API token (run on the controller host)

  --data-dir defaults to /var/lib/drover (or $DROVER_DATA_DIR).`;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function dataDirOf(v: string | undefined): string {
  return v ?? process.env.DROVER_DATA_DIR ?? '/var/lib/drover';
}

async function serve(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, {
    listen: { type: 'string' }, 'data-dir': { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' },
    'public-url': { type: 'string' }, 'insecure-http': { type: 'boolean' }, 'log-level': { type: 'string' }, 'heartbeat-ms': { type: 'string' },
  }, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  if (positionals.length) throw usageError(`unexpected argument "${positionals[0]}"`, USAGE);
  const { host, port } = parseListen(values.listen ?? '0.0.0.0:7443', USAGE);
  if (values['insecure-http'] && !LOOPBACK.has(host)) throw usageError(`--insecure-http is only allowed when listening on loopback, not ${host}`, USAGE);
  if (values['insecure-http'] && (values['tls-cert'] || values['tls-key'])) throw usageError('--insecure-http and --tls-cert/--tls-key contradict each other', USAGE);
  if (values['public-url'] && !/^https?:\/\/[^/\s]+$/.test(values['public-url'])) throw usageError(`--public-url: expected https://HOST[:PORT], got "${values['public-url']}"`, USAGE);
  const heartbeatMs = values['heartbeat-ms'] ? Number(values['heartbeat-ms']) : undefined;
  if (heartbeatMs !== undefined && !(Number.isInteger(heartbeatMs) && heartbeatMs >= 100)) throw usageError('--heartbeat-ms: expected an integer ≥ 100', USAGE);
  const logLevel = values['log-level'] ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) throw usageError(`--log-level: unknown level "${logLevel}"`, USAGE);

  const { startController } = await import('../../server/controller-server.js');
  let running;
  try {
    running = await startController({
      host, port, dataDir: dataDirOf(values['data-dir']), tlsCertFile: values['tls-cert'], tlsKeyFile: values['tls-key'],
      insecureHttp: values['insecure-http'] ?? false, publicUrl: values['public-url'] ?? null, heartbeatMs, logLevel,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new UserError(`cannot listen on ${host}:${port}: address already in use`);
    if (e.code === 'EACCES') throw new UserError(`cannot listen on ${host}:${port} or use ${dataDirOf(values['data-dir'])}: permission denied`);
    if (err instanceof Error && !(err instanceof UserError) && /data dir|\.pem|certificate|private key|schema|--tls/.test(err.message)) throw new UserError(err.message);
    throw err;
  }
  const { identity } = running;
  process.stderr.write(`drover controller ${identity.controllerId} listening on ${running.url}\n`);
  if (!values['insecure-http']) {
    process.stderr.write(`TLS public-key fingerprint: ${identity.fingerprint}${identity.generatedCert ? ' (new self-signed certificate)' : ''}\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      process.stderr.write(`drover controller: ${sig} received, shutting down\n`);
      running.close().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

async function tokenCreate(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, { scope: { type: 'string' }, name: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  if (positionals.length) throw usageError(`unexpected argument "${positionals[0]}"`, USAGE);
  const scope = values.scope;
  if (scope !== 'admin' && scope !== 'deploy' && scope !== 'read') throw usageError('--scope must be admin, deploy or read', USAGE);
  const dataDir = dataDirOf(values['data-dir']);
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
    if (values.json) console.log(JSON.stringify({ id: record.id, name: record.name, scope, token: secret, fingerprint }));
    else {
      console.log(secret);
      process.stderr.write(`operator token "${record.name}" (scope ${scope}) created; it is shown only once.\n`);
      process.stderr.write(`log in with: drover login https://CONTROLLER:7443 --fingerprint ${fingerprint} --token <token>\n`);
    }
    return 0;
  } finally {
    store.close();
  }
}

export const command: Command = {
  summary: 'run the controller, manage operator tokens',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'serve') return serve(rest);
    if (sub === 'token' && rest[0] === 'create') return tokenCreate(rest.slice(1));
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      console.log(USAGE);
      return sub === undefined ? 64 : 0;
    }
    throw usageError(`unknown subcommand "${[sub, ...rest.slice(0, 1)].join(' ')}"`, USAGE);
  },
};
