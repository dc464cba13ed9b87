/** Service, target and deployment options, their kamal-proxy defaults and validation rules. */
import { boolean, number, object, string, array, withDefault, type Check } from './schema.js';

export interface HealthCheckConfig {
  path: string;
  port: number;
  intervalMs: number;
  timeoutMs: number;
  host: string;
}

export interface TargetOptions {
  healthCheck: HealthCheckConfig;
  responseTimeoutMs: number;
  bufferRequests: boolean;
  bufferResponses: boolean;
  maxMemoryBufferSize: number;
  maxRequestBodySize: number;
  maxResponseBodySize: number;
  logRequestHeaders: string[];
  logResponseHeaders: string[];
  forwardHeaders: boolean;
  scopeCookiePaths: boolean;
}

export interface ServiceOptions {
  hosts: string[];
  pathPrefixes: string[];
  tlsEnabled: boolean;
  tlsCertificatePath: string;
  tlsPrivateKeyPath: string;
  tlsOnDemandUrl: string;
  tlsRedirect: boolean;
  canonicalHost: string;
  acmeDirectory: string;
  acmeCachePath: string;
  errorPagePath: string;
  stripPrefix: boolean;
  writerAffinityTimeoutMs: number;
  readTargetsAcceptWebsockets: boolean;
  excludeMetricsPaths: string[];
  clientIpHeader: string;
}

export interface DeploymentOptions {
  deployTimeoutMs: number;
  drainTimeoutMs: number;
  force: boolean;
}

export const DEFAULT_HEALTH_CHECK: HealthCheckConfig = { path: '/up', port: 0, intervalMs: 1000, timeoutMs: 5000, host: '' };

export function defaultTargetOptions(): TargetOptions {
  return {
    healthCheck: { ...DEFAULT_HEALTH_CHECK },
    responseTimeoutMs: 30_000,
    bufferRequests: false,
    bufferResponses: false,
    maxMemoryBufferSize: 1 << 20,
    maxRequestBodySize: 0,
    maxResponseBodySize: 0,
    logRequestHeaders: [],
    logResponseHeaders: [],
    forwardHeaders: true,
    scopeCookiePaths: false,
  };
}

export function defaultServiceOptions(): ServiceOptions {
  return {
    hosts: [],
    pathPrefixes: [],
    tlsEnabled: false,
    tlsCertificatePath: '',
    tlsPrivateKeyPath: '',
    tlsOnDemandUrl: '',
    tlsRedirect: true,
    canonicalHost: '',
    acmeDirectory: '',
    acmeCachePath: '',
    errorPagePath: '',
    stripPrefix: true,
    writerAffinityTimeoutMs: 1000,
    readTargetsAcceptWebsockets: false,
    excludeMetricsPaths: [],
    clientIpHeader: '',
  };
}

/** hosts [] -> [""] (the default host); prefixes [] -> ["/"], each "/"+trimmed. */
export function normalizeServiceOptions(o: ServiceOptions): ServiceOptions {
  const hosts = o.hosts.length === 0 ? [''] : [...o.hosts];
  const prefixes = o.pathPrefixes.length === 0 ? ['/'] : o.pathPrefixes.map(normalizePathPrefix);
  return { ...o, hosts, pathPrefixes: prefixes };
}

export function normalizePathPrefix(p: string): string {
  return '/' + p.replace(/^\/+|\/+$/g, '');
}

export function hasConfiguredHosts(hosts: string[]): boolean {
  return hosts.length > 0 && !hosts.includes('');
}

/** Mirrors kamal-proxy's ServiceOptions.Validate; messages are kamal-proxy's. Returns null when valid. */
export function validateServiceOptions(o: ServiceOptions): string | null {
  const problem = firstProblem(o);
  return problem === null ? null : `service options invalid: ${problem}`;
}

function firstProblem(o: ServiceOptions): string | null {
  if (o.tlsOnDemandUrl !== '') {
    if (!o.tlsEnabled) return 'TLS must be enabled to use a TLS on-demand URL';
    if (hasConfiguredHosts(o.hosts)) return 'cannot set hosts when using a TLS on-demand URL';
    if (o.tlsCertificatePath !== '') return 'cannot use a custom TLS certificate with a TLS on-demand URL';
    if (o.canonicalHost !== '') return 'cannot set a canonical host when using a TLS on-demand URL';
    const urlProblem = validateTlsOnDemandUrl(o.tlsOnDemandUrl);
    if (urlProblem) return urlProblem;
  } else if (o.tlsEnabled && !hasConfiguredHosts(o.hosts)) {
    return 'host must be set when using TLS';
  }
  if (o.tlsEnabled && o.pathPrefixes.length > 0 && !o.pathPrefixes.every((p) => normalizePathPrefix(p) === '/')) {
    return 'TLS settings must be specified on the root path service';
  }
  if (o.canonicalHost !== '' && hasConfiguredHosts(o.hosts) && !o.hosts.includes(o.canonicalHost)) {
    return `canonical-host '${o.canonicalHost}' must be present in the hosts list: [${o.hosts.join(' ')}]`;
  }
  return null;
}

export function validateTlsOnDemandUrl(value: string): string | null {
  if (value.startsWith('/') && !value.startsWith('//')) return null;
  if (value.startsWith('//')) return 'tls-on-demand-url must be a path or an absolute http(s) URL';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(value)) return 'tls-on-demand-url must be a path or an absolute http(s) URL';
    return 'unable to parse tls-on-demand-url';
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') return `unsupported scheme "${scheme}" in tls-on-demand-url`;
  if (url.hostname === '') return 'missing host in tls-on-demand-url';
  return null;
}

// Validators for the RPC boundary (camelCase, milliseconds).
const strings = withDefault(array(string), [] as string[]);

export const healthCheckConfigSchema: Check<HealthCheckConfig> = object({
  path: string, port: number, intervalMs: number, timeoutMs: number, host: string,
});

export const targetOptionsSchema: Check<TargetOptions> = object({
  healthCheck: healthCheckConfigSchema,
  responseTimeoutMs: number,
  bufferRequests: boolean,
  bufferResponses: boolean,
  maxMemoryBufferSize: number,
  maxRequestBodySize: number,
  maxResponseBodySize: number,
  logRequestHeaders: strings,
  logResponseHeaders: strings,
  forwardHeaders: boolean,
  scopeCookiePaths: boolean,
});

export const serviceOptionsSchema: Check<ServiceOptions> = object({
  hosts: strings,
  pathPrefixes: strings,
  tlsEnabled: boolean,
  tlsCertificatePath: string,
  tlsPrivateKeyPath: string,
  tlsOnDemandUrl: string,
  tlsRedirect: boolean,
  canonicalHost: string,
  acmeDirectory: string,
  acmeCachePath: string,
  errorPagePath: string,
  stripPrefix: boolean,
  writerAffinityTimeoutMs: number,
  readTargetsAcceptWebsockets: boolean,
  excludeMetricsPaths: strings,
  clientIpHeader: string,
});

export const deploymentOptionsSchema: Check<DeploymentOptions> = object({
  deployTimeoutMs: number, drainTimeoutMs: number, force: boolean,
});
