/**
 * The persisted state: `<dataDir>/kamal-proxy.state`, a JSON array of services in kamal-proxy's own
 * format (snake_case keys, durations in nanoseconds), so a state file moves between implementations.
 */
import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  defaultServiceOptions, defaultTargetOptions, type ServiceOptions, type TargetOptions,
} from './options.js';
import { array, boolean, number, object, string, withDefault, SchemaError, type Check } from './schema.js';

const NS_PER_MS = 1_000_000;

export interface SavedService {
  name: string;
  options: ServiceOptions;
  targetOptions: TargetOptions;
  activeTargets: string[];
  activeReaders: string[];
  rolloutTargets: string[] | null;
  rolloutReaders: string[] | null;
  pauseState: number;
  stopMessage: string;
  failAfterMs: number;
  rollout: { percentage: number; allowlist: string[] } | null;
}

export function serviceToRecord(s: SavedService): Record<string, unknown> {
  const o = s.options;
  const t = s.targetOptions;
  return {
    name: s.name,
    options: {
      hosts: o.hosts, path_prefixes: o.pathPrefixes, tls_enabled: o.tlsEnabled,
      tls_certificate_path: o.tlsCertificatePath, tls_private_key_path: o.tlsPrivateKeyPath,
      tls_on_demand_url: o.tlsOnDemandUrl, tls_redirect: o.tlsRedirect, canonical_host: o.canonicalHost,
      acme_directory: o.acmeDirectory, acme_cache_path: o.acmeCachePath, error_page_path: o.errorPagePath,
      strip_prefix: o.stripPrefix, writer_affinity_timeout: o.writerAffinityTimeoutMs * NS_PER_MS,
      read_targets_accept_websockets: o.readTargetsAcceptWebsockets,
      exclude_metrics_paths: o.excludeMetricsPaths.length ? o.excludeMetricsPaths : null,
      client_ip_header: o.clientIpHeader,
    },
    target_options: {
      health_check_config: {
        path: t.healthCheck.path, port: t.healthCheck.port, interval: t.healthCheck.intervalMs * NS_PER_MS,
        timeout: t.healthCheck.timeoutMs * NS_PER_MS, host: t.healthCheck.host,
      },
      response_timeout: t.responseTimeoutMs * NS_PER_MS, buffer_requests: t.bufferRequests,
      buffer_responses: t.bufferResponses, max_memory_buffer_size: t.maxMemoryBufferSize,
      max_request_body_size: t.maxRequestBodySize, max_response_body_size: t.maxResponseBodySize,
      log_request_headers: t.logRequestHeaders.length ? t.logRequestHeaders : null,
      log_response_headers: t.logResponseHeaders.length ? t.logResponseHeaders : null,
      forward_headers: t.forwardHeaders, scope_cookie_paths: t.scopeCookiePaths,
    },
    active_targets: s.activeTargets,
    active_readers: s.activeReaders,
    rollout_targets: s.rolloutTargets,
    rollout_readers: s.rolloutReaders,
    pause_controller: { state: s.pauseState, stop_message: s.stopMessage, fail_after: s.failAfterMs * NS_PER_MS },
    rollout_controller: s.rollout
      ? { percentage: s.rollout.percentage, percentage_split_point: (s.rollout.percentage / 100) * 0xffffffff, allowlist: s.rollout.allowlist }
      : null,
  };
}

const strings = withDefault(array(string), [] as string[]);
const nullableStrings: Check<string[] | null> = (v, at) => (v === null || v === undefined ? null : array(string)(v, at));
const sd = defaultServiceOptions();
const td = defaultTargetOptions();
const ns = (fallbackMs: number): Check<number> => (v, at) => (v === undefined || v === null ? fallbackMs : number(v, at) / NS_PER_MS);
const str = (fallback: string) => withDefault(string, fallback);
const bool = (fallback: boolean) => withDefault(boolean, fallback);
const num = (fallback: number) => withDefault(number, fallback);

const recordSchema = object({
  name: string,
  options: withDefault(object({
    hosts: nullableStrings, path_prefixes: nullableStrings, tls_enabled: bool(false),
    tls_certificate_path: str(''), tls_private_key_path: str(''), tls_on_demand_url: str(''), tls_redirect: bool(true),
    canonical_host: str(''), acme_directory: str(''), acme_cache_path: str(''), error_page_path: str(''),
    strip_prefix: bool(true), writer_affinity_timeout: ns(sd.writerAffinityTimeoutMs),
    read_targets_accept_websockets: bool(false), exclude_metrics_paths: strings, client_ip_header: str(''),
  }), null),
  target_options: withDefault(object({
    health_check_config: withDefault(object({
      path: str('/up'), port: num(0), interval: ns(1000), timeout: ns(5000), host: str(''),
    }), null),
    response_timeout: ns(td.responseTimeoutMs), buffer_requests: bool(false), buffer_responses: bool(false),
    max_memory_buffer_size: num(td.maxMemoryBufferSize), max_request_body_size: num(0), max_response_body_size: num(0),
    log_request_headers: strings, log_response_headers: strings, forward_headers: bool(true), scope_cookie_paths: bool(false),
  }), null),
  active_targets: nullableStrings,
  active_readers: strings,
  rollout_targets: nullableStrings,
  rollout_readers: nullableStrings,
  pause_controller: withDefault(object({ state: num(0), stop_message: str(''), fail_after: ns(0) }), null),
  rollout_controller: withDefault(object({ percentage: num(0), allowlist: strings }), null),
  // Older kamal-proxy versions wrote these at the top level.
  active_target: str(''),
  rollout_target: str(''),
  hosts: nullableStrings,
  path_prefixes: nullableStrings,
});

export function recordToService(value: unknown, at: string): SavedService {
  const r = recordSchema(value, at);
  const o = r.options;
  const t = r.target_options;
  const hc = t?.health_check_config;
  const hosts = o?.hosts ?? r.hosts ?? [];
  const prefixes = o?.path_prefixes ?? r.path_prefixes ?? [];
  return {
    name: r.name,
    options: o ? {
      hosts, pathPrefixes: prefixes.length ? prefixes : ['/'], tlsEnabled: o.tls_enabled,
      tlsCertificatePath: o.tls_certificate_path, tlsPrivateKeyPath: o.tls_private_key_path,
      tlsOnDemandUrl: o.tls_on_demand_url, tlsRedirect: o.tls_redirect, canonicalHost: o.canonical_host,
      acmeDirectory: o.acme_directory, acmeCachePath: o.acme_cache_path, errorPagePath: o.error_page_path,
      stripPrefix: o.strip_prefix, writerAffinityTimeoutMs: o.writer_affinity_timeout,
      readTargetsAcceptWebsockets: o.read_targets_accept_websockets, excludeMetricsPaths: o.exclude_metrics_paths,
      clientIpHeader: o.client_ip_header,
    } : { ...sd, hosts, pathPrefixes: prefixes.length ? prefixes : ['/'] },
    targetOptions: t ? {
      healthCheck: hc ? { path: hc.path, port: hc.port, intervalMs: hc.interval, timeoutMs: hc.timeout, host: hc.host } : { ...td.healthCheck },
      responseTimeoutMs: t.response_timeout, bufferRequests: t.buffer_requests, bufferResponses: t.buffer_responses,
      maxMemoryBufferSize: t.max_memory_buffer_size, maxRequestBodySize: t.max_request_body_size,
      maxResponseBodySize: t.max_response_body_size, logRequestHeaders: t.log_request_headers,
      logResponseHeaders: t.log_response_headers, forwardHeaders: t.forward_headers, scopeCookiePaths: t.scope_cookie_paths,
    } : defaultTargetOptions(),
    activeTargets: r.active_targets ?? (r.active_target ? [r.active_target] : []),
    activeReaders: r.active_readers,
    rolloutTargets: r.rollout_targets ?? (r.rollout_target ? [r.rollout_target] : null),
    rolloutReaders: r.rollout_readers,
    pauseState: r.pause_controller?.state ?? 0,
    stopMessage: r.pause_controller?.stop_message ?? '',
    failAfterMs: r.pause_controller?.fail_after ?? 0,
    rollout: r.rollout_controller ? { percentage: r.rollout_controller.percentage, allowlist: r.rollout_controller.allowlist } : null,
  };
}

/** Written to a temp file and renamed, so a crash never leaves half a state file. */
export function writeStateFile(path: string, services: SavedService[]): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(services.map(serviceToRecord)) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

/** Missing file -> []; unreadable or invalid -> an error naming the file. */
export function readStateFile(path: string): SavedService[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`unable to read state file ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`state file ${path} is not valid JSON`);
  }
  if (data === null) return [];
  if (!Array.isArray(data)) throw new Error(`state file ${path}: expected a JSON array of services`);
  try {
    return data.map((item, i) => recordToService(item, `[${i}]`));
  } catch (err) {
    if (err instanceof SchemaError) throw new Error(`state file ${path}: ${err.message}`);
    throw err;
  }
}
