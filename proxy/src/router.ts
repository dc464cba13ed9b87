/** Owns the services: deploys, removals, pause/stop/resume, rollouts, routing and persisted state. */
import {
  normalizeServiceOptions, validateServiceOptions,
  type DeploymentOptions, type ServiceOptions, type TargetOptions,
} from './options.js';
import { LoadBalancer } from './load_balancer.js';
import { Service } from './service.js';
import { ServiceMap, hostWithoutPort } from './service_map.js';
import { loadErrorPages, type ErrorPages } from './error_pages.js';
import { loadCertificate } from './tls.js';
import { PauseController } from './pause_controller.js';
import { RolloutController } from './rollout_controller.js';
import { formatDuration } from './duration.js';
import { fastPathCanBufferRequest } from './fast_buffering.js';
import { readStateFile, writeStateFile, type SavedService } from './state_file.js';
import { sendError, type Exchange } from './exchange.js';
import type { SecureContext } from 'node:tls';
import type { Logger } from './logger.js';

export class ProxyError extends Error {}

export interface DeployRequest {
  service: string;
  targets: string[];
  readers: string[];
  deployment: DeploymentOptions;
  serviceOptions: ServiceOptions;
  targetOptions: TargetOptions;
}

export interface ServiceDescription {
  host: string;
  path: string;
  tls: boolean;
  target: string;
  state: string;
}

/** What a follower (a cluster worker) needs to mirror the primary's health view of one service. */
export interface HealthSnapshot {
  service: string;
  /** Every target of the load balancer the view belongs to, so a stale view is never applied to another. */
  activeTargets: string[];
  active: string[];
  rolloutTargets: string[] | null;
  rollout: string[] | null;
}

export interface RouterOptions {
  /**
   * A cluster worker: runs no health checks (the primary does and pushes snapshots), takes
   * targets as healthy when deploying (the primary deployed them only once healthy), and never
   * writes the state file.
   */
  follower?: boolean;
  /** Called when the health of an installed load balancer changes (the primary pushes it to workers). */
  onHealthChange?: (service: string) => void;
}

export class Router {
  private readonly services = new Map<string, Service>();
  private readonly map = new ServiceMap<Service>();
  private readonly follower: boolean;

  constructor(private readonly statePath: string | null, private readonly logger: Logger, private readonly options: RouterOptions = {}) {
    this.follower = options.follower ?? false;
  }

  // ---- request routing -------------------------------------------------------------------

  serve(ex: Exchange): void {
    const url = ex.req.url ?? '/';
    const q = url.indexOf('?');
    const route = this.map.lookup(ex.req.headers.host, q < 0 ? url : url.slice(0, q));
    if (!route) return sendError(ex, 404);
    route.service.serve(ex, route.prefix, this.map.tlsFor(route.service)).catch(() => {
      if (ex.res && !ex.res.headersSent) sendError(ex, 502);
    });
  }

  /**
   * Whether a plain-HTTP request may take the fast path (fast_connection.ts): not when its service
   * is paused, nor when it buffers requests and this request's body would spill to disk (buffer.ts
   * lives in the node:http path for requests); a body over --max-request-body is answered 413 there.
   */
  acceptsFastPath(host: string | undefined, path: string, contentLength: number): boolean {
    const route = this.map.lookup(host, path);
    if (!route) return true;
    const service = route.service;
    if (service.pause.state !== 'running') return false;
    for (const lb of service.loadBalancers) {
      if (!fastPathCanBufferRequest(lb.targetOptions, contentLength)) return false;
    }
    return true;
  }

  /** SNI -> the certificate of the root-path service for that host (or the default TLS host). */
  certificateFor(serverName: string | undefined): SecureContext | null {
    const host = serverName ? hostWithoutPort(serverName) : this.map.defaultTlsHostname;
    if (!host) return null;
    return this.map.serviceForHost(host)?.certificate ?? null;
  }

  // ---- commands -----------------------------------------------------------------------------

  async deploy(request: DeployRequest): Promise<void> {
    const problem = validateServiceOptions(request.serviceOptions);
    if (problem) throw new ProxyError(problem);
    const options = normalizeServiceOptions(request.serviceOptions);
    const { pages, certificate } = this.loadServiceFiles(options);
    const lb = this.newLoadBalancer(request.targets, request.readers, request.targetOptions, options);
    this.startLoadBalancer(lb);
    if (!request.deployment.force && !this.follower) {
      const healthy = await lb.waitUntilHealthy(request.deployment.deployTimeoutMs);
      if (!healthy) {
        lb.dispose();
        void lb.drainAll(0);
        throw new ProxyError(
          `target failed to become healthy within configured timeout (${formatDuration(request.deployment.deployTimeoutMs)})`,
        );
      }
    }
    // From here to the swap nothing awaits, so routing changes atomically.
    if (!this.map.isAvailable(request.service, options)) {
      lb.dispose();
      void lb.drainAll(0);
      throw new ProxyError('host settings conflict with another service');
    }
    let service = this.services.get(request.service);
    let previous: LoadBalancer | null = null;
    if (service) {
      previous = service.active;
      service.options = options;
      service.targetOptions = request.targetOptions;
      service.errorPages = pages;
      service.certificate = certificate;
      service.active = lb;
    } else {
      service = new Service(request.service, options, request.targetOptions, lb, pages, certificate);
      this.services.set(request.service, service);
    }
    this.rebuild();
    if (!this.follower) this.logger.info('Deployed', { service: request.service, targets: request.targets, readers: request.readers });
    if (previous && previous !== lb) {
      previous.dispose();
      await previous.drainAll(request.deployment.drainTimeoutMs);
    }
  }

  async rolloutDeploy(name: string, targets: string[], readers: string[], deployTimeoutMs: number, drainTimeoutMs: number): Promise<void> {
    const service = this.requireService(name);
    const lb = this.newLoadBalancer(targets, readers, service.targetOptions, service.options);
    this.startLoadBalancer(lb);
    if (!this.follower && !(await lb.waitUntilHealthy(deployTimeoutMs))) {
      lb.dispose();
      void lb.drainAll(0);
      throw new ProxyError(`target failed to become healthy within configured timeout (${formatDuration(deployTimeoutMs)})`);
    }
    const previous = service.rollout;
    service.rollout = lb;
    this.save();
    if (previous) {
      previous.dispose();
      await previous.drainAll(drainTimeoutMs);
    }
  }

  rolloutSet(name: string, percentage: number, allowlist: string[]): void {
    const service = this.requireService(name);
    if (!service.rollout) throw new ProxyError('rollout target not set');
    service.rolloutController = new RolloutController(percentage, allowlist);
    this.save();
  }

  rolloutStop(name: string): void {
    const service = this.requireService(name);
    service.rolloutController = null;
    this.save();
  }

  remove(name: string): void {
    const service = this.requireService(name);
    for (const lb of service.loadBalancers) lb.dispose();
    this.services.delete(name);
    this.rebuild();
  }

  async pause(name: string, drainTimeoutMs: number, pauseTimeoutMs: number): Promise<void> {
    const service = this.requireService(name);
    service.pause.pause(pauseTimeoutMs);
    this.save();
    await Promise.all(service.loadBalancers.map((lb) => lb.drainInflight(drainTimeoutMs)));
  }

  async stop(name: string, drainTimeoutMs: number, message: string): Promise<void> {
    const service = this.requireService(name);
    service.pause.stop(message);
    this.save();
    await Promise.all(service.loadBalancers.map((lb) => lb.drainInflight(drainTimeoutMs)));
  }

  resume(name: string): void {
    this.requireService(name).pause.resume();
    this.save();
  }

  list(): Record<string, ServiceDescription> {
    const out: Record<string, ServiceDescription> = {};
    for (const name of [...this.services.keys()].sort()) {
      const s = this.services.get(name)!;
      const hosts = s.options.hosts.filter((h) => h !== '');
      out[name] = {
        host: hosts.length ? hosts.join(',') : '*',
        path: s.options.pathPrefixes.join(','),
        tls: this.map.tlsFor(s).enabled,
        target: [...s.active.names, ...s.active.readerNames].join(','),
        state: s.pause.state,
      };
    }
    return out;
  }

  /** Stops health checks and lets in-flight requests finish, for graceful shutdown. */
  async shutdown(timeoutMs: number): Promise<void> {
    const lbs = [...this.services.values()].flatMap((s) => s.loadBalancers);
    for (const lb of lbs) lb.dispose();
    await Promise.all(lbs.flatMap((lb) => lb.all.map((t) => t.waitForInflight(timeoutMs))));
  }

  // ---- state ----------------------------------------------------------------------------------

  /** Restores services from the state file; their targets take traffic at once. */
  restore(): void {
    if (!this.statePath) return;
    const saved = readStateFile(this.statePath);
    for (const s of saved) {
      try {
        this.restoreOne(s);
      } catch (err) {
        this.logger.error('Unable to restore service', { service: s.name, error: (err as Error).message });
      }
    }
    this.rebuild(false);
    // Workers restore the same file as the primary; one line is enough.
    if (!this.follower) this.logger.info('Restored saved state', { services: saved.length });
  }

  private restoreOne(s: SavedService): void {
    const options = normalizeServiceOptions(s.options);
    const { pages, certificate } = this.loadServiceFiles(options);
    const lb = this.newLoadBalancer(s.activeTargets, s.activeReaders, s.targetOptions, options);
    lb.markAllHealthy();
    this.startLoadBalancer(lb);
    const service = new Service(s.name, options, s.targetOptions, lb, pages, certificate);
    if (s.rolloutTargets) {
      const rollout = this.newLoadBalancer(s.rolloutTargets, s.rolloutReaders ?? [], s.targetOptions, options);
      rollout.markAllHealthy();
      this.startLoadBalancer(rollout);
      service.rollout = rollout;
    }
    if (s.rollout) service.rolloutController = new RolloutController(s.rollout.percentage, s.rollout.allowlist);
    const state = PauseController.stateFromNumber(s.pauseState);
    if (state === 'paused') service.pause.pause(s.failAfterMs);
    if (state === 'stopped') service.pause.stop(s.stopMessage);
    this.services.set(s.name, service);
  }

  private save(): void {
    if (!this.statePath || this.follower) return;
    const records: SavedService[] = [...this.services.values()].map((s) => ({
      name: s.name,
      options: s.options,
      targetOptions: s.targetOptions,
      activeTargets: s.active.names,
      activeReaders: s.active.readerNames,
      rolloutTargets: s.rollout ? s.rollout.names : null,
      rolloutReaders: s.rollout ? s.rollout.readerNames : null,
      pauseState: s.pause.stateNumber,
      stopMessage: s.pause.stopMessage,
      failAfterMs: s.pause.failAfterMs,
      rollout: s.rolloutController ? { percentage: s.rolloutController.percentage, allowlist: s.rolloutController.allowlist } : null,
    }));
    try {
      writeStateFile(this.statePath, records);
    } catch (err) {
      this.logger.error('Unable to save state', { path: this.statePath, error: (err as Error).message });
    }
  }

  // ---- cluster: the primary's health view, mirrored by workers --------------------------------

  healthSnapshot(name: string): HealthSnapshot | null {
    const s = this.services.get(name);
    if (!s) return null;
    return {
      service: name,
      activeTargets: s.active.all.map((t) => t.address),
      active: s.active.healthyAddresses(),
      rolloutTargets: s.rollout ? s.rollout.all.map((t) => t.address) : null,
      rollout: s.rollout ? s.rollout.healthyAddresses() : null,
    };
  }

  get serviceNames(): string[] {
    return [...this.services.keys()];
  }

  applyHealth(snapshot: HealthSnapshot): void {
    const s = this.services.get(snapshot.service);
    if (!s) return;
    const same = (lb: LoadBalancer, targets: string[] | null): boolean =>
      targets !== null && lb.all.length === targets.length && lb.all.every((t, i) => t.address === targets[i]);
    if (same(s.active, snapshot.activeTargets)) s.active.setHealthyAddresses(snapshot.active);
    if (s.rollout && same(s.rollout, snapshot.rolloutTargets) && snapshot.rollout) s.rollout.setHealthyAddresses(snapshot.rollout);
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** A follower trusts the primary's checks; everyone else checks for itself. */
  private startLoadBalancer(lb: LoadBalancer): void {
    if (this.follower) return lb.markAllHealthy();
    lb.healthListener = () => {
      for (const s of this.services.values()) {
        if (s.active === lb || s.rollout === lb) this.options.onHealthChange?.(s.name);
      }
    };
    lb.start();
  }

  private rebuild(persist = true): void {
    this.map.rebuild(this.services.values());
    if (persist) this.save();
  }

  private requireService(name: string): Service {
    const service = this.services.get(name);
    if (!service) throw new ProxyError('service not found');
    return service;
  }

  private newLoadBalancer(targets: string[], readers: string[], targetOptions: TargetOptions, options: ServiceOptions): LoadBalancer {
    try {
      return new LoadBalancer(targets, readers, targetOptions, options.writerAffinityTimeoutMs, options.readTargetsAcceptWebsockets);
    } catch (err) {
      throw new ProxyError((err as Error).message);
    }
  }

  private loadServiceFiles(options: ServiceOptions): { pages: ErrorPages | null; certificate: SecureContext | null } {
    let pages: ErrorPages | null = null;
    let certificate: SecureContext | null = null;
    try {
      if (options.errorPagePath) pages = loadErrorPages(options.errorPagePath);
      if (options.tlsEnabled && options.tlsCertificatePath) {
        certificate = loadCertificate(options.tlsCertificatePath, options.tlsPrivateKeyPath);
      } else if (options.tlsEnabled && options.tlsOnDemandUrl === '') {
        if (options.hosts.some((h) => h.startsWith('*'))) throw new ProxyError('automatic TLS does not support wildcards');
        this.logger.warn('Automatic TLS (ACME) is not supported by this proxy; HTTPS handshakes for these hosts will fail', {
          hosts: options.hosts,
        });
      }
    } catch (err) {
      throw err instanceof ProxyError ? err : new ProxyError((err as Error).message);
    }
    return { pages, certificate };
  }
}
