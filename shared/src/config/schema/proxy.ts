import { z } from 'zod';
import { kAnyHash, kArray, kBoolean, kHash, kInteger, kString, kUnion, opt } from './kinds.js';

/** `proxy.run`: how the kamal-proxy container itself is started on each host. */
export const proxyRunSchema = kHash({
  http_port: opt(kInteger),
  https_port: opt(kInteger),
  bind_ips: opt(kArray(kString)),
  publish: opt(kBoolean),
  metrics_port: opt(kInteger),
  debug: opt(kBoolean),
  log_max_size: opt(kString),
  registry: opt(kString),
  repository: opt(kString),
  version: opt(kString),
  options: opt(kAnyHash),
}).superRefine((run, ctx) => {
  if (run.publish === false && (run.http_port !== undefined || run.https_port !== undefined || run.bind_ips !== undefined)) {
    ctx.addIssue({ code: 'custom', message: 'Cannot set http_port, https_port or bind_ips when publish is false' });
  }
});

const sslCertificatesSchema = kHash({
  certificate_pem: opt(kString),
  private_key_pem: opt(kString),
}).superRefine((ssl, ctx) => {
  if (ssl.certificate_pem !== undefined && ssl.private_key_pem === undefined) {
    ctx.addIssue({ code: 'custom', message: 'Missing private_key_pem setting (required when certificate_pem is present)' });
  }
  if (ssl.private_key_pem !== undefined && ssl.certificate_pem === undefined) {
    ctx.addIssue({ code: 'custom', message: 'Missing certificate_pem setting (required when private_key_pem is present)' });
  }
});

const proxyShape = {
  host: opt(kString),
  hosts: opt(kArray(kString)),
  app_port: opt(kInteger),
  ssl: opt(kUnion([kBoolean, sslCertificatesSchema], 'should be a boolean or a hash')),
  ssl_redirect: opt(kBoolean),
  forward_headers: opt(kBoolean),
  response_timeout: opt(kInteger),
  path_prefix: opt(kString),
  path_prefixes: opt(kArray(kString)),
  strip_path_prefix: opt(kBoolean),
  healthcheck: opt(kHash({ interval: opt(kInteger), timeout: opt(kInteger), path: opt(kString) })),
  buffering: opt(
    kHash({
      requests: opt(kBoolean),
      responses: opt(kBoolean),
      memory: opt(kInteger),
      max_request_body: opt(kInteger),
      max_response_body: opt(kInteger),
    }),
  ),
  logging: opt(kHash({ request_headers: opt(kArray(kString)), response_headers: opt(kArray(kString)) })),
  run: opt(proxyRunSchema),
};

/** The checks that need the whole (merged) proxy hash. */
export function checkProxy(proxy: ProxyConfig, ctx: z.RefinementCtx): void {
  if (proxy.host !== undefined && proxy.hosts !== undefined) {
    ctx.addIssue({ code: 'custom', message: "Specify one of 'host' or 'hosts', not both" });
  }
  if (proxy.ssl === true && proxy.host === undefined && (proxy.hosts ?? []).length === 0) {
    ctx.addIssue({ code: 'custom', message: 'Must set a host to enable automatic SSL' });
  }
}

/** A proxy hash (root, role after merging, or accessory). */
export const proxySchema = kHash(proxyShape);
export type ProxyConfig = z.infer<typeof proxySchema>;

/** Root `proxy:` (a role merges over it, so host/ssl checks happen per role after merging). */
export const rootProxySchema = proxySchema.superRefine((p, ctx) => {
  if (p.host !== undefined && p.hosts !== undefined) {
    ctx.addIssue({ code: 'custom', message: "Specify one of 'host' or 'hosts', not both" });
  }
});

/** A role's `proxy:` may also be `true`/`false`. */
export const roleProxySchema = kUnion([kBoolean, proxySchema], 'should be a boolean or a hash');

/** An accessory's proxy stands alone, so it is checked completely. */
export const accessoryProxySchema = proxySchema.superRefine(checkProxy);
