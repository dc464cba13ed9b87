import { deepMerge } from '../deep-merge.js';
import { KAMAL_DEFAULTS } from '../kamal-defaults.js';
import type { ProxyConfig } from '../schema/proxy.js';
import type { DeployConfig } from '../schema/root.js';
import type { RoleConfig } from '../schema/servers.js';
import type { ProxyOption, ResolvedProxy, ResolvedProxyRun } from '../types.js';

export const DEFAULT_LOG_REQUEST_HEADERS = ['Cache-Control', 'Last-Modified', 'User-Agent'];
export const KAMAL_PROXY_DEFAULT_VERSION = 'v0.9.2';
export const KAMAL_PROXY_REPOSITORY = 'basecamp/kamal-proxy';
/** Where kamal-proxy sees `.kamal/proxy/apps-config` inside its container. */
export const PROXY_APPS_CONFIG = '/home/kamal-proxy/.apps-config';

/**
 * The proxy hash a role runs with, or null when it runs without one: the primary role proxies
 * unless `proxy: false`; other roles only with `proxy: true` or a hash. The role hash is
 * deep-merged over the root `proxy` (role wins), `run` included.
 */
export function roleProxyConfig(config: DeployConfig, role: { name: string; config: RoleConfig }, primaryRole: string): ProxyConfig | null {
  const setting = role.config.proxy;
  const root = config.proxy ?? {};
  if (setting === false) return null;
  if (setting === undefined) return role.name === primaryRole ? root : null;
  if (setting === true) return root;
  return deepMerge(root, setting) as ProxyConfig;
}

export function proxyHosts(proxy: ProxyConfig): string[] {
  if (proxy.hosts !== undefined) return proxy.hosts;
  return proxy.host === undefined ? [] : proxy.host.split(',').map((h) => h.trim()).filter((h) => h !== '');
}

function pathPrefixes(proxy: ProxyConfig): string[] {
  if (proxy.path_prefixes !== undefined) return proxy.path_prefixes;
  return proxy.path_prefix === undefined ? [] : proxy.path_prefix.split(',').map((p) => p.trim()).filter((p) => p !== '');
}

export function resolveProxyRun(run: ProxyConfig['run']): ResolvedProxyRun | null {
  if (run === undefined) return null;
  const registry = run.registry ?? null;
  const repository = run.repository ?? KAMAL_PROXY_REPOSITORY;
  const version = run.version ?? KAMAL_PROXY_DEFAULT_VERSION;
  return {
    httpPort: run.http_port ?? 80,
    httpsPort: run.https_port ?? 443,
    bindIps: run.bind_ips ?? [],
    publish: run.publish ?? true,
    metricsPort: run.metrics_port ?? null,
    debug: run.debug ?? false,
    logMaxSize: run.log_max_size ?? '10m',
    registry,
    repository,
    version,
    image: `${registry ? `${registry}/` : ''}${repository}:${version}`,
    options: run.options ?? {},
  };
}

const seconds = (n: number | undefined) => (n === undefined ? undefined : `${n}s`);

export interface ProxyContext {
  /** `<service>[-<destination>]` */
  serviceAndDestination: string;
  /** The role name for TLS paths; null for an accessory (`tls/` without a role). */
  role: string | null;
  version: string;
  deployTimeout: number;
  drainTimeout: number;
  errorPagesPath: string | null;
}

/** A proxy hash with Kamal's defaults applied, and the deploy options in Kamal's order. */
export function resolveProxy(proxy: ProxyConfig, ctx: ProxyContext): ResolvedProxy {
  const ssl = proxy.ssl;
  const custom = typeof ssl === 'object' && ssl.certificate_pem !== undefined && ssl.private_key_pem !== undefined
    ? { certificatePem: ssl.certificate_pem, privateKeyPem: ssl.private_key_pem }
    : null;
  const tlsDir = `${PROXY_APPS_CONFIG}/${ctx.serviceAndDestination}/tls${ctx.role ? `/${ctx.role}` : ''}`;
  const hosts = proxyHosts(proxy);
  const prefixes = pathPrefixes(proxy);
  const requestHeaders = proxy.logging?.request_headers ?? DEFAULT_LOG_REQUEST_HEADERS;
  const responseHeaders = proxy.logging?.response_headers ?? [];

  const candidates: [string, string | boolean | string[] | undefined][] = [
    ['host', hosts],
    ['tls', ssl ? true : undefined],
    ['tls-certificate-path', custom ? `${tlsDir}/cert.pem` : undefined],
    ['tls-private-key-path', custom ? `${tlsDir}/key.pem` : undefined],
    ['deploy-timeout', seconds(ctx.deployTimeout)],
    ['drain-timeout', seconds(ctx.drainTimeout)],
    ['health-check-interval', seconds(proxy.healthcheck?.interval)],
    ['health-check-timeout', seconds(proxy.healthcheck?.timeout)],
    ['health-check-path', proxy.healthcheck?.path],
    ['target-timeout', seconds(proxy.response_timeout)],
    ['buffer-requests', proxy.buffering?.requests ?? true],
    ['buffer-responses', proxy.buffering?.responses ?? true],
    ['buffer-memory', proxy.buffering?.memory?.toString()],
    ['max-request-body', proxy.buffering?.max_request_body?.toString()],
    ['max-response-body', proxy.buffering?.max_response_body?.toString()],
    ['path-prefix', prefixes],
    ['strip-path-prefix', proxy.strip_path_prefix],
    ['forward-headers', proxy.forward_headers],
    ['tls-redirect', proxy.ssl_redirect],
    ['log-request-header', requestHeaders],
    ['log-response-header', responseHeaders],
    ['error-pages', ctx.errorPagesPath && ctx.role ? `${PROXY_APPS_CONFIG}/${ctx.serviceAndDestination}/error_pages/${ctx.version}` : undefined],
  ];
  const deployOptions: ProxyOption[] = candidates.filter(
    (c): c is ProxyOption => c[1] !== undefined && !(Array.isArray(c[1]) && c[1].length === 0),
  );

  return {
    hosts,
    appPort: proxy.app_port ?? 80,
    ssl: Boolean(ssl),
    customCertificates: custom,
    healthcheck: {
      interval: proxy.healthcheck?.interval ?? KAMAL_DEFAULTS.healthcheck.intervalSeconds,
      timeout: proxy.healthcheck?.timeout ?? KAMAL_DEFAULTS.healthcheck.timeoutSeconds,
      path: proxy.healthcheck?.path ?? KAMAL_DEFAULTS.healthcheck.path,
    },
    buffering: {
      requests: proxy.buffering?.requests ?? true,
      responses: proxy.buffering?.responses ?? true,
      memory: proxy.buffering?.memory ?? null,
      maxRequestBody: proxy.buffering?.max_request_body ?? null,
      maxResponseBody: proxy.buffering?.max_response_body ?? null,
    },
    pathPrefixes: prefixes,
    responseTimeout: proxy.response_timeout ?? null,
    stripPathPrefix: proxy.strip_path_prefix ?? null,
    forwardHeaders: proxy.forward_headers ?? null,
    sslRedirect: proxy.ssl_redirect ?? null,
    logging: { requestHeaders, responseHeaders },
    run: resolveProxyRun(proxy.run),
    deployOptions,
  };
}
