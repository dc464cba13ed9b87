import { Agent, request } from 'node:http';

export interface LoadTally {
  ok: number;
  failed: string[];
  /** Response bodies seen (the sample app's /version answers its version). */
  versions: Set<string>;
  seconds: number;
}

/**
 * Keeps requests flowing to each URL from `loops` loops per URL (half keep-alive, half a new connection
 * each request) until stopped. Bounded: it only runs between start and stop, and every request times out.
 */
export function startLoad(urls: string[], loops: number) {
  const agents = urls.map(() => new Agent({ keepAlive: true, maxSockets: loops }));
  const tally = { ok: 0, failed: [] as string[], versions: new Set<string>() };
  let running = true;
  const once = (url: string, agent: Agent | false) => new Promise<void>((resolve) => {
    const req = request(url, { agent, timeout: 10_000 }, (res) => {
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
  });
  const started = Date.now();
  const done = Promise.all(urls.flatMap((url, u) => Array.from({ length: loops }, async (_, i) => {
    while (running) await once(url, i % 2 === 0 ? agents[u]! : false);
  })));
  return {
    tally,
    async stop(): Promise<LoadTally> {
      running = false;
      await done;
      for (const a of agents) a.destroy();
      return { ...tally, seconds: (Date.now() - started) / 1000 };
    },
  };
}
