import { UserError } from '@drover/shared';
import { isLoopbackHost } from '@drover/shared/protocol/plain-http';
import { parseListen } from '../args/values.js';
import { usageError } from '../framework/errors.js';
import { parseAgentFacingUrl } from '../../server/agent-facing-url.js';
import { DEFAULT_LISTENER_LIMITS, parseTrustedAddresses, type ListenerLimits } from '../../server/connection-limits.js';
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { DATA_DIR, dataDirOf, operatorTokenCommand } from './controller-tokens.js';
import { controllerServiceCommands } from './controller-service.js';


const text = (inv: Invocation, name: string): string | undefined => (typeof inv.options[name] === 'string' ? inv.options[name] as string : undefined);

/** --max-connections, --max-connections-per-address, --trusted-addresses; unset ones keep DEFAULT_LISTENER_LIMITS. */
function listenerLimitsOf(inv: Invocation, help: string): Partial<ListenerLimits> {
  const limits: Partial<ListenerLimits> = {};
  for (const [flag, key] of [['max-connections', 'maxConnections'], ['max-connections-per-address', 'maxConnectionsPerAddress']] as const) {
    const value = text(inv, flag);
    if (value === undefined) continue;
    const n = Number(value);
    if (!(Number.isInteger(n) && n >= 1)) throw usageError(`--${flag}: expected a whole number ≥ 1, got "${value}"`, help);
    limits[key] = n;
  }
  const trusted = text(inv, 'trusted-addresses');
  if (trusted !== undefined) {
    try {
      limits.trustedAddresses = parseTrustedAddresses(trusted);
    } catch (err) {
      throw usageError(`--trusted-addresses: ${(err as Error).message}`, help);
    }
  }
  return limits;
}

async function serve(inv: Invocation): Promise<number> {
  const help = inv.help;
  const values = {
    listen: text(inv, 'listen'), 'tls-cert': text(inv, 'tls-cert'), 'tls-key': text(inv, 'tls-key'), 'public-url': text(inv, 'public-url'),
    'insecure-http': inv.options['insecure-http'] === true, 'open-metrics': inv.options['open-metrics'] === true, 'log-level': text(inv, 'log-level'), 'heartbeat-ms': text(inv, 'heartbeat-ms'),
  };
  const { host, port } = parseListen(values.listen ?? '0.0.0.0:7443', help);
  if (values['insecure-http'] && !isLoopbackHost(host)) throw usageError(`--insecure-http is only allowed when listening on loopback, not ${host}`, help);
  if (values['insecure-http'] && (values['tls-cert'] || values['tls-key'])) throw usageError('--insecure-http and --tls-cert/--tls-key contradict each other', help);
  if (values['public-url'] && !parseAgentFacingUrl(values['public-url'])) throw usageError(`--public-url: expected https://HOST[:PORT], got "${values['public-url']}"`, help);
  const heartbeatMs = values['heartbeat-ms'] ? Number(values['heartbeat-ms']) : undefined;
  if (heartbeatMs !== undefined && !(Number.isInteger(heartbeatMs) && heartbeatMs >= 100)) throw usageError('--heartbeat-ms: expected an integer ≥ 100', help);
  const limits = listenerLimitsOf(inv, help);
  const logLevel = values['log-level'] ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) throw usageError(`--log-level: unknown level "${logLevel}"`, help);

  const { startController } = await import('../../server/controller-server.js');
  const { installLastResort } = await import('../../server/last-resort.js');
  let running;
  try {
    running = await startController({
      host, port, dataDir: dataDirOf(inv), tlsCertFile: values['tls-cert'], tlsKeyFile: values['tls-key'],
      insecureHttp: values['insecure-http'] ?? false, openMetrics: values['open-metrics'], publicUrl: values['public-url'] ?? null, heartbeatMs, logLevel, limits,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new UserError(`cannot listen on ${host}:${port}: address already in use`);
    if (e.code === 'EACCES') throw new UserError(`cannot listen on ${host}:${port} or use ${dataDirOf(inv)}: permission denied`);
    if (err instanceof Error && !(err instanceof UserError) && /data dir|\.pem|certificate|private key|schema|--tls/.test(err.message)) throw new UserError(err.message);
    throw err;
  }
  const { identity } = running;
  const removeLastResort = installLastResort(running.app.log);
  inv.io.err(`drover controller ${identity.controllerId} listening on ${running.url}`);
  if (!values['insecure-http']) {
    inv.io.err(`TLS public-key fingerprint: ${identity.fingerprint}${identity.generatedCert ? ' (new self-signed certificate)' : ''}`);
  }
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      inv.io.err(`drover controller: ${sig} received, shutting down`);
      running.close().finally(removeLastResort).then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

export const controllerCommand: CommandSpec = {
  name: 'controller',
  summary: 'Run the controller or install it as a service, back it up, manage operator tokens (on the controller host)',
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
        'open-metrics': { type: 'boolean', description: 'Serve /metrics without a token (default: a token of scope metrics or above)' },
        'max-connections': { type: 'string', value: 'N', description: `Open connections at most, all addresses together (default ${DEFAULT_LISTENER_LIMITS.maxConnections})` },
        'max-connections-per-address': { type: 'string', value: 'N', description: `Connections one address may hold before authenticating as an agent (default ${DEFAULT_LISTENER_LIMITS.maxConnectionsPerAddress})` },
        'trusted-addresses': { type: 'string', value: 'LIST', description: `IPs/CIDRs exempt from per-address limits, comma-separated, or none (default ${DEFAULT_LISTENER_LIMITS.trustedAddresses.join(',')})` },
      },
      run: serve,
    },
    operatorTokenCommand,
    ...controllerServiceCommands(),
  ],
};
