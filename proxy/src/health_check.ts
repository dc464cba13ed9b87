/** Periodic HTTP health checks against one target: first at once, then every interval. */
import http from 'node:http';
import type { HealthCheckConfig } from './options.js';

const MAX_REDIRECTS = 10;

/** `host[:port]` + path -> URL; an explicit health-check port replaces the target's port. */
export function buildHealthCheckUrl(target: string, config: Pick<HealthCheckConfig, 'path' | 'port'>): string {
  const { host } = splitHostPort(target);
  const port = config.port > 0 ? config.port : splitHostPort(target).port;
  const path = config.path.startsWith('/') ? config.path : `/${config.path}`;
  return `http://${host}${port === null ? '' : `:${port}`}${path}`;
}

export function splitHostPort(target: string): { host: string; port: number | null } {
  const i = target.lastIndexOf(':');
  if (i < 0) return { host: target, port: null };
  return { host: target.slice(0, i), port: Number(target.slice(i + 1)) };
}

/** One check: resolves true for a 2xx within the timeout (redirects followed), false otherwise. */
export function checkOnce(url: string, hostHeader: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => finish(false), timeoutMs);
    let current: http.ClientRequest | null = null;
    let done = false;
    function finish(ok: boolean): void {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      current?.destroy();
      resolve(ok);
    }
    function get(target: string, redirects: number): void {
      let parsed: URL;
      try {
        parsed = new URL(target);
      } catch {
        return finish(false);
      }
      if (parsed.protocol !== 'http:') return finish(false);
      const headers: Record<string, string> = { 'user-agent': 'kamal-proxy' };
      if (hostHeader) headers.host = hostHeader;
      current = http.get(parsed, { headers, agent: false }, (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        res.resume();
        if (status >= 300 && status < 400 && location && redirects < MAX_REDIRECTS) {
          res.once('end', () => get(new URL(location, parsed).toString(), redirects + 1));
          return;
        }
        res.once('end', () => finish(status >= 200 && status < 300));
        res.once('error', () => finish(false));
      });
      current.once('error', () => finish(false));
    }
    get(url, 0);
  });
}

export class HealthCheck {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private running = false;

  constructor(
    private readonly url: string,
    private readonly config: HealthCheckConfig,
    private readonly onResult: (healthy: boolean) => void,
  ) {}

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(1, this.config.intervalMs));
    this.timer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      const ok = await checkOnce(this.url, this.config.host, this.config.timeoutMs);
      if (!this.stopped) this.onResult(ok);
    } finally {
      this.running = false;
    }
  }
}
