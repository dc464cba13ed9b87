/** Prometheus text metrics (kamal_proxy_http_*), served on every path of --metrics-port. */

const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE']);
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function normalizeMethod(method: string | undefined): string {
  return method && STANDARD_METHODS.has(method) ? method : 'OTHER';
}

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export interface MetricsSnapshot {
  requests: Array<[string, number]>;
  durations: Array<[string, Histogram]>;
  inflight: Array<[string, number]>;
}

export class Metrics {
  private requests = new Map<string, number>();
  private durations = new Map<string, Histogram>();
  private inflight = new Map<string, number>();

  begin(service: string): void {
    this.inflight.set(service, (this.inflight.get(service) ?? 0) + 1);
  }

  end(service: string, method: string | undefined, status: number, seconds: number): void {
    this.inflight.set(service, (this.inflight.get(service) ?? 1) - 1);
    const key = `service="${esc(service)}",method="${normalizeMethod(method)}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let h = this.durations.get(key);
    if (!h) {
      h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.durations.set(key, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** Plain data, for a cluster worker to hand its counters to the primary. */
  snapshot(): MetricsSnapshot {
    return { requests: [...this.requests], durations: [...this.durations], inflight: [...this.inflight] };
  }

  /** Adds another process's counters to these (the cluster primary sums its workers'). */
  absorb(s: MetricsSnapshot): void {
    for (const [k, v] of s.requests) this.requests.set(k, (this.requests.get(k) ?? 0) + v);
    for (const [s2, v] of s.inflight) this.inflight.set(s2, (this.inflight.get(s2) ?? 0) + v);
    for (const [k, h] of s.durations) {
      const mine = this.durations.get(k);
      if (!mine) this.durations.set(k, { counts: [...h.counts], sum: h.sum, count: h.count });
      else {
        h.counts.forEach((c, i) => (mine.counts[i] = (mine.counts[i] ?? 0) + c));
        mine.sum += h.sum;
        mine.count += h.count;
      }
    }
  }

  render(): string {
    const lines: string[] = [];
    lines.push('# HELP kamal_proxy_http_requests_total HTTP requests processed, labeled by service, method and status.');
    lines.push('# TYPE kamal_proxy_http_requests_total counter');
    for (const [k, v] of this.requests) lines.push(`kamal_proxy_http_requests_total{${k}} ${v}`);
    lines.push('# HELP kamal_proxy_http_request_duration_seconds HTTP request latencies in seconds.');
    lines.push('# TYPE kamal_proxy_http_request_duration_seconds histogram');
    for (const [k, h] of this.durations) {
      BUCKETS.forEach((b, i) => lines.push(`kamal_proxy_http_request_duration_seconds_bucket{${k},le="${b}"} ${h.counts[i]}`));
      lines.push(`kamal_proxy_http_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      lines.push(`kamal_proxy_http_request_duration_seconds_sum{${k}} ${h.sum}`);
      lines.push(`kamal_proxy_http_request_duration_seconds_count{${k}} ${h.count}`);
    }
    lines.push('# HELP kamal_proxy_http_in_flight_requests HTTP requests currently being processed.');
    lines.push('# TYPE kamal_proxy_http_in_flight_requests gauge');
    for (const [s, v] of this.inflight) lines.push(`kamal_proxy_http_in_flight_requests{service="${esc(s)}"} ${v}`);
    return lines.join('\n') + '\n';
  }
}

function esc(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
