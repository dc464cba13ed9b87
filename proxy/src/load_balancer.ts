/** A set of writer and reader targets: health gating, round robin, read routing, writer affinity, drain. */
import { Target, validateTargetName } from './target.js';
import type { TargetOptions } from './options.js';
import type { ProxyContext } from './proxy_context.js';

export const WRITER_COOKIE = 'kamal-writer';

export class TargetNameError extends Error {}

export class LoadBalancer {
  readonly writers: Target[];
  readonly readers: Target[];
  private healthyWriters: Target[] = [];
  private healthyReaders: Target[] = [];
  private writerIndex = 0;
  private readerIndex = 0;
  private healthWaiters: Array<() => void> = [];
  private disposed = false;
  /** Notified after every health change (the cluster primary forwards it to workers). */
  healthListener: (() => void) | null = null;

  constructor(
    writerNames: string[],
    readerNames: string[],
    readonly targetOptions: TargetOptions,
    readonly writerAffinityTimeoutMs: number,
    readonly readTargetsAcceptWebsockets: boolean,
  ) {
    for (const name of [...writerNames, ...readerNames]) {
      const problem = validateTargetName(name);
      if (problem) throw new TargetNameError(problem);
    }
    this.writers = writerNames.map((n) => new Target(n, targetOptions));
    this.readers = readerNames.map((n) => new Target(n, targetOptions));
  }

  get all(): Target[] {
    return [...this.writers, ...this.readers];
  }

  get names(): string[] {
    return this.writers.map((t) => t.address);
  }

  get readerNames(): string[] {
    return this.readers.map((t) => t.address);
  }

  /** Starts health checks on every target. */
  start(): void {
    for (const t of this.all) t.beginHealthChecks((changed) => this.onHealthChange(changed));
  }

  /** Used when restoring state: targets take traffic at once. */
  markAllHealthy(): void {
    for (const t of this.all) t.markHealthy();
    this.recompute();
  }

  get allHealthy(): boolean {
    return this.all.every((t) => t.state === 'healthy');
  }

  /** Resolves true once every target (writers and readers) is healthy, false at the deadline. */
  async waitUntilHealthy(timeoutMs: number): Promise<boolean> {
    if (this.allHealthy) return true;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.allHealthy) {
          clearTimeout(timer);
          this.healthWaiters = this.healthWaiters.filter((w) => w !== check);
          resolve(true);
        }
      };
      const timer = setTimeout(() => {
        this.healthWaiters = this.healthWaiters.filter((w) => w !== check);
        resolve(this.allHealthy);
      }, timeoutMs);
      this.healthWaiters.push(check);
    });
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.all) t.stopHealthChecks();
  }

  async drainAll(timeoutMs: number): Promise<void> {
    await Promise.all(this.all.map((t) => t.drain(timeoutMs)));
  }

  /** Waits (without cancelling) for in-flight requests, then cancels the rest: used by pause/stop. */
  async drainInflight(timeoutMs: number): Promise<void> {
    await Promise.all(this.all.map((t) => t.waitForInflight(timeoutMs)));
    for (const t of this.all) t.cancelInflight();
  }

  /** Picks a target for the request and arranges the writer-affinity cookie; null when none is healthy. */
  pick(ctx: ProxyContext): Target | null {
    const { req } = ctx;
    const hasReaders = this.readers.length > 0;
    const isUpgrade = ctx.socket !== null;
    const isRead = (req.method === 'GET' || req.method === 'HEAD') && (!isUpgrade || this.readTargetsAcceptWebsockets);
    if (hasReaders && isRead && !hasValidWriterCookie(req.headers.cookie)) {
      return this.nextReader() ?? this.nextWriter();
    }
    if (hasReaders && !isRead && this.writerAffinityTimeoutMs > 0) {
      const previous = ctx.adjustResponseHeaders;
      const timeout = this.writerAffinityTimeoutMs;
      ctx.adjustResponseHeaders = (status, headers) => {
        previous(status, headers);
        if (headers['x-writer-affinity'] === 'false') {
          delete headers['x-writer-affinity'];
          return;
        }
        const expires = Date.now() + timeout;
        const cookie = `${WRITER_COOKIE}=${expires}; Path=/; Expires=${new Date(expires + 1000).toUTCString()}; HttpOnly`;
        const existing = headers['set-cookie'] ?? [];
        headers['set-cookie'] = [...existing, cookie];
      };
    }
    return this.nextWriter();
  }

  private nextWriter(): Target | null {
    const list = this.healthyWriters;
    if (list.length === 0) return null;
    this.writerIndex = (this.writerIndex + 1) % list.length;
    return list[this.writerIndex]!;
  }

  private nextReader(): Target | null {
    const list = this.healthyReaders;
    if (list.length === 0) return null;
    this.readerIndex = (this.readerIndex + 1) % list.length;
    return list[this.readerIndex]!;
  }

  private onHealthChange(target: Target): void {
    this.recompute();
    // Taking a lone target out of the pool would not help, so its checks stop once it is healthy.
    if (this.writers.length === 1 && this.readers.length === 0 && target.state === 'healthy') target.stopHealthChecks();
    for (const w of [...this.healthWaiters]) w();
    this.healthListener?.();
  }

  healthyAddresses(): string[] {
    return this.all.filter((t) => t.state === 'healthy').map((t) => t.address);
  }

  /** Mirrors another process's health view (cluster workers). */
  setHealthyAddresses(addresses: string[]): void {
    const healthy = new Set(addresses);
    for (const t of this.all) if (t.state !== 'draining') t.state = healthy.has(t.address) ? 'healthy' : 'unhealthy';
    this.recompute();
  }

  private recompute(): void {
    if (this.disposed) return;
    this.healthyWriters = this.writers.filter((t) => t.state === 'healthy');
    this.healthyReaders = this.readers.filter((t) => t.state === 'healthy');
  }
}

function hasValidWriterCookie(cookieHeader: string | undefined): boolean {
  if (!cookieHeader) return false;
  for (const part of cookieHeader.split(';')) {
    const [name, value] = part.trim().split('=');
    if (name === WRITER_COOKIE && Number(value) > Date.now()) return true;
  }
  return false;
}
