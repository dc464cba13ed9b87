/** `kamal-proxy deploy <service>`: flags -> options, validated here and again by the server. */
import { join } from 'node:path';
import {
  defaultServiceOptions, defaultTargetOptions, validateServiceOptions,
  type ServiceOptions, type TargetOptions,
} from '../options.js';
import { dataDir } from '../paths.js';
import { UsageError, type FlagSpecs, type ParsedFlags } from './flags.js';
import type { ProxyCommand, IO } from './command.js';
import { call } from './client.js';

const dt = defaultTargetOptions();

export const deployFlags: FlagSpecs = {
  target: { type: 'strings', default: [], usage: 'Target host(s) to deploy', required: true },
  'read-target': { type: 'strings', default: [], usage: 'Read-only target host(s) to deploy' },
  host: { type: 'strings', default: [], usage: 'Host(s) to serve this target on (empty for wildcard)' },
  'path-prefix': { type: 'strings', default: [], usage: 'Deploy the service below the specified path(s)' },
  'strip-path-prefix': { type: 'bool', default: true, usage: 'With --path-prefix, strip prefix from request before forwarding' },
  tls: { type: 'bool', default: false, usage: 'Configure TLS for this target (requires a non-empty host)' },
  'tls-on-demand-url': { type: 'string', default: '', usage: 'Will make an HTTP request to the given URL, asking whether a host is allowed to have a certificate issued (not supported: no ACME)' },
  'tls-staging': { type: 'bool', default: false, usage: "Use Let's Encrypt staging environment for certificate provisioning (not supported: no ACME)" },
  'tls-certificate-path': { type: 'string', default: '', usage: 'Configure custom TLS certificate path (PEM format)' },
  'tls-private-key-path': { type: 'string', default: '', usage: 'Configure custom TLS private key path (PEM format)' },
  'tls-acme-cache-path': { type: 'string', default: '', usage: 'Location to store ACME certificates (unused: automatic certificates are not supported)' },
  'tls-redirect': { type: 'bool', default: true, usage: 'Redirect HTTP traffic to HTTPS' },
  'canonical-host': { type: 'string', default: '', usage: 'Redirect all requests to this host' },
  'deploy-timeout': { type: 'duration', default: 30_000, usage: 'Maximum time to wait for the new target to become healthy' },
  'drain-timeout': { type: 'duration', default: 30_000, usage: 'Maximum time to allow existing connections to drain before removing old target' },
  force: { type: 'bool', default: false, usage: "Don't wait for the target to become healthy" },
  'health-check-interval': { type: 'duration', default: 1000, usage: 'Interval between health checks' },
  'health-check-timeout': { type: 'duration', default: 5000, usage: 'Time each health check must complete in' },
  'health-check-path': { type: 'string', default: '/up', usage: 'Path to check for health' },
  'health-check-port': { type: 'int', default: 0, usage: 'Port to use for health checks (defaults to the target port)' },
  'health-check-host': { type: 'string', default: '', usage: 'Host header to send with health checks' },
  'writer-affinity-timeout': { type: 'duration', default: 1000, usage: 'Time after a write before read requests will be routed to readers' },
  'read-target-websockets': { type: 'bool', default: false, usage: 'Route WebSocket traffic to read targets' },
  'target-timeout': { type: 'duration', default: dt.responseTimeoutMs, usage: 'Maximum time to wait for the target to respond to a request' },
  'buffer-requests': { type: 'bool', default: false, usage: 'Enable request buffering' },
  'buffer-responses': { type: 'bool', default: false, usage: 'Enable response buffering' },
  'buffer-memory': { type: 'int', default: dt.maxMemoryBufferSize, usage: 'Max size of memory buffer' },
  'max-request-body': { type: 'int', default: 0, usage: 'Max size of request body when buffering (default of 0 means unlimited)' },
  'max-response-body': { type: 'int', default: 0, usage: 'Max size of response body when buffering (default of 0 means unlimited)' },
  'error-pages': { type: 'string', default: '', usage: 'Path to custom error pages' },
  'log-request-header': { type: 'strings', default: [], usage: 'Additional request header to log (may be specified multiple times)' },
  'log-response-header': { type: 'strings', default: [], usage: 'Additional response header to log (may be specified multiple times)' },
  'exclude-metrics-path': { type: 'strings', default: [], usage: 'Exclude requests to the specified path(s) from metrics' },
  'forward-headers': { type: 'bool', default: false, usage: 'Forward X-Forwarded headers to target (default false if TLS enabled; otherwise true)' },
  'client-ip-header': { type: 'string', default: '', usage: 'Header to use for the client IP address (replaces X-Forwarded-For)' },
  'scope-cookie-paths': { type: 'bool', default: false, usage: 'Scope cookie paths to the path prefix' },
};

export interface DeployOptions {
  serviceOptions: ServiceOptions;
  targetOptions: TargetOptions;
}

/** Flags -> options, with kamal-proxy's pre-run checks. Throws UsageError with kamal-proxy's text. */
export function optionsFromFlags(flags: ParsedFlags, env: IO['env']): DeployOptions {
  const v = flags.values;
  const tls = v.tls as boolean;
  if (flags.changed.has('max-request-body') && !(v['buffer-requests'] as boolean)) {
    throw new UsageError('max-request-body can only be set when request buffering is enabled');
  }
  if (flags.changed.has('max-response-body') && !(v['buffer-responses'] as boolean)) {
    throw new UsageError('max-response-body can only be set when response buffering is enabled');
  }
  const serviceOptions: ServiceOptions = {
    ...defaultServiceOptions(),
    hosts: v.host as string[],
    pathPrefixes: v['path-prefix'] as string[],
    tlsEnabled: tls,
    tlsCertificatePath: v['tls-certificate-path'] as string,
    tlsPrivateKeyPath: v['tls-private-key-path'] as string,
    tlsOnDemandUrl: v['tls-on-demand-url'] as string,
    tlsRedirect: v['tls-redirect'] as boolean,
    canonicalHost: v['canonical-host'] as string,
    acmeDirectory: v['tls-staging'] ? 'https://acme-staging-v02.api.letsencrypt.org/directory' : '',
    acmeCachePath: (v['tls-acme-cache-path'] as string) || join(dataDir(env), 'certs'),
    errorPagePath: v['error-pages'] as string,
    stripPrefix: v['strip-path-prefix'] as boolean,
    writerAffinityTimeoutMs: v['writer-affinity-timeout'] as number,
    readTargetsAcceptWebsockets: v['read-target-websockets'] as boolean,
    excludeMetricsPaths: v['exclude-metrics-path'] as string[],
    clientIpHeader: v['client-ip-header'] as string,
  };
  const targetOptions: TargetOptions = {
    healthCheck: {
      path: v['health-check-path'] as string,
      port: v['health-check-port'] as number,
      intervalMs: v['health-check-interval'] as number,
      timeoutMs: v['health-check-timeout'] as number,
      host: v['health-check-host'] as string,
    },
    responseTimeoutMs: v['target-timeout'] as number,
    bufferRequests: v['buffer-requests'] as boolean,
    bufferResponses: v['buffer-responses'] as boolean,
    maxMemoryBufferSize: v['buffer-memory'] as number,
    maxRequestBodySize: v['max-request-body'] as number,
    maxResponseBodySize: v['max-response-body'] as number,
    logRequestHeaders: v['log-request-header'] as string[],
    logResponseHeaders: v['log-response-header'] as string[],
    forwardHeaders: flags.changed.has('forward-headers') ? (v['forward-headers'] as boolean) : !tls,
    scopeCookiePaths: v['scope-cookie-paths'] as boolean,
  };
  const problem = validateServiceOptions(serviceOptions);
  if (problem) throw new UsageError(problem);
  return { serviceOptions, targetOptions };
}

export const deployCommand: ProxyCommand = {
  name: 'deploy',
  summary: 'Deploy a target host',
  use: 'deploy <service>',
  exactArgs: 1,
  flags: deployFlags,
  async run(flags, io) {
    const { serviceOptions, targetOptions } = optionsFromFlags(flags, io.env);
    const v = flags.values;
    await call(io, 'Deploy', {
      service: flags.args[0],
      targets: v.target,
      readers: v['read-target'],
      deployment: { deployTimeoutMs: v['deploy-timeout'], drainTimeoutMs: v['drain-timeout'], force: v.force },
      serviceOptions,
      targetOptions,
    });
    return 0;
  },
};
