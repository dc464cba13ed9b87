/** A named service: its options, active and rollout targets, pause state; serves routed requests. */
import type { SecureContext } from 'node:tls';
import type { ServiceOptions, TargetOptions } from './options.js';
import type { LoadBalancer } from './load_balancer.js';
import { PauseController } from './pause_controller.js';
import type { RolloutController } from './rollout_controller.js';
import type { ErrorPages } from './error_pages.js';
import { sendError, sendStatus, type Exchange } from './exchange.js';
import { withoutHopByHop, type ProxyContext } from './proxy_context.js';
import { hostWithoutPort } from './service_map.js';
import { scopeCookies } from './cookie_scope.js';

export interface TlsSettings {
  enabled: boolean;
  redirect: boolean;
}

export class Service {
  readonly pause = new PauseController();
  rollout: LoadBalancer | null = null;
  rolloutController: RolloutController | null = null;

  constructor(
    readonly name: string,
    public options: ServiceOptions,
    public targetOptions: TargetOptions,
    public active: LoadBalancer,
    public errorPages: ErrorPages | null,
    public certificate: SecureContext | null,
  ) {}

  /** Paths as the target sees them: GET/HEAD to the health-check path (query ignored). */
  isHealthCheckRequest(method: string | undefined, routedPath: string): boolean {
    return (method === 'GET' || method === 'HEAD') && routedPath === this.targetOptions.healthCheck.path;
  }

  routedPath(path: string, prefix: string): string {
    if (!this.options.stripPrefix || prefix === '/') return path;
    const rest = path.slice(prefix.length);
    return rest === '' ? '/' : rest.startsWith('/') ? rest : '/' + rest;
  }

  async serve(ex: Exchange, prefix: string, tls: TlsSettings): Promise<void> {
    const { req } = ex;
    ex.log.service = this.name;
    ex.pages = this.errorPages;
    ex.log.requestHeaders = this.targetOptions.logRequestHeaders;
    ex.log.responseHeaders = this.targetOptions.logResponseHeaders;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q);
    const routedPath = this.routedPath(path, prefix);

    if (ex.scheme === 'https' && !tls.enabled) return sendError(ex, 503);
    const needsTls = tls.enabled && tls.redirect && ex.scheme === 'http';
    const host = hostWithoutPort(req.headers.host);
    const canonical = this.options.canonicalHost;
    if (needsTls || (canonical !== '' && host !== canonical.toLowerCase())) {
      const scheme = needsTls ? 'https' : ex.scheme;
      const targetHost = canonical !== '' ? canonical : needsTls ? host : (req.headers.host ?? host);
      return sendStatus(ex, 301, { Location: `${scheme}://${targetHost}${url}`, Connection: 'close' });
    }

    if (this.pause.state !== 'running') {
      if (this.isHealthCheckRequest(req.method, routedPath)) {
        return sendStatus(ex, 200, { 'content-type': 'text/plain; charset=utf-8' }, 'OK');
      }
      const gate = await this.pause.wait();
      if (gate.kind === 'timed-out') return sendError(ex, 504);
      if (gate.kind === 'stopped') return sendError(ex, 503, gate.message);
    }

    const lb = this.rollout && this.rolloutController?.requestUsesRollout(req.headers.cookie) ? this.rollout : this.active;
    const ctx = this.proxyContext(ex, routedPath + query, prefix, host);
    const target = lb.pick(ctx);
    if (!target) return sendError(ex, 503);
    target.serve(ctx);
  }

  private proxyContext(ex: Exchange, upstreamPath: string, prefix: string, host: string): ProxyContext {
    const { req } = ex;
    const o = this.targetOptions;
    const forward = o.forwardHeaders;
    const headers = withoutHopByHop(req.headers);
    const peer = ex.clientIp;
    let priorFor = req.headers['x-forwarded-for'];
    if (this.options.clientIpHeader) {
      const value = req.headers[this.options.clientIpHeader.toLowerCase()];
      if (typeof value === 'string' && value !== '') priorFor = value;
    }
    headers['x-forwarded-for'] = forward && priorFor ? `${priorFor}, ${peer}` : peer;
    const priorProto = req.headers['x-forwarded-proto'];
    headers['x-forwarded-proto'] = forward && priorProto ? priorProto : ex.scheme;
    const priorHost = req.headers['x-forwarded-host'];
    headers['x-forwarded-host'] = forward && priorHost ? priorHost : (req.headers.host ?? '');
    const scope = o.scopeCookiePaths && prefix !== '/' ? prefix : null;
    return {
      req,
      res: ex.res,
      socket: ex.socket,
      head: ex.head,
      upstreamPath,
      headers,
      forwardHeaders: forward,
      sendError: (status, message) => sendError(ex, status, message),
      adjustResponseHeaders: (_status, responseHeaders) => {
        const cookies = responseHeaders['set-cookie'];
        if (scope && cookies) responseHeaders['set-cookie'] = scopeCookies(cookies, scope, host);
      },
      log: ex.log,
    };
  }

  /** Every load balancer that may have requests in flight. */
  get loadBalancers(): LoadBalancer[] {
    return this.rollout ? [this.active, this.rollout] : [this.active];
  }
}

export function clientAddress(remote: string | undefined): string {
  if (!remote) return '';
  return remote.startsWith('::ffff:') ? remote.slice(7) : remote;
}
