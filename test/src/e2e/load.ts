import { Agent, request } from 'node:http';

export interface LoadTally {
  ok: number;
  failed: string[];
  /** Requests not sent because `maxInFlight` were still waiting: the system under test fell behind. */
  skipped: number;
  /** Response bodies seen (the sample app's /version answers its version). */
  versions: Set<string>;
  seconds: number;
}

export interface LoadOptions {
  /** Requests started per second, spread over the URLs (an open loop: the rate does not drop when responses slow down). */
  ratePerSecond: number;
  /** Requests waiting at once, at most (default 1024: four seconds of a stall at 250/s); one more is counted as skipped. */
  maxInFlight?: number;
  /** Every `newConnectionEvery`-th request opens a new connection; the others reuse keep-alive ones. */
  newConnectionEvery?: number;
}

/**
 * Sends requests to the URLs at a fixed rate (half over keep-alive connections, half on new ones by
 * default) until stopped. An open loop, so the offered load is the rate whatever the latency; a system
 * that falls behind shows as skipped requests. Bounded: it runs only between start and stop, each request
 * times out, and at most `maxInFlight` are waiting.
 */
export function startLoad(urls: string[], o: LoadOptions) {
  const maxInFlight = o.maxInFlight ?? 1024;
  const every = o.newConnectionEvery ?? 2;
  const agents = urls.map(() => new Agent({ keepAlive: true, maxSockets: 64 }));
  const tally = { ok: 0, failed: [] as string[], skipped: 0, versions: new Set<string>() };
  let inFlight = 0;
  let sent = 0;
  const pending = new Set<Promise<void>>();
  const once = (u: number) => {
    const url = urls[u]!;
    const p = new Promise<void>((resolve) => {
      const req = request(url, { agent: sent % every === 0 ? false : agents[u], timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          if (res.statusCode === 200) { tally.ok++; tally.versions.add(body.trim()); } else tally.failed.push(`${url} ${res.statusCode}: ${body.trim().slice(0, 200)}`);
          resolve();
        });
        res.on('error', (e) => { tally.failed.push(`${url} ${e.message}`); resolve(); });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => { tally.failed.push(`${url} ${e.message}`); resolve(); });
      req.end();
    }).finally(() => { inFlight--; pending.delete(p); });
    inFlight++;
    pending.add(p);
  };
  const started = Date.now();
  const tickMs = 20;
  const timer = setInterval(() => {
    // Catch up to the schedule: the number of requests due since the start, minus those already started.
    const due = Math.floor(((Date.now() - started) / 1000) * o.ratePerSecond);
    while (sent < due) {
      if (inFlight >= maxInFlight) tally.skipped++;
      else once(sent % urls.length);
      sent++;
    }
  }, tickMs);
  return {
    tally,
    async stop(): Promise<LoadTally> {
      clearInterval(timer);
      const seconds = (Date.now() - started) / 1000;
      await Promise.all([...pending]);
      for (const a of agents) a.destroy();
      return { ...tally, seconds };
    },
  };
}
