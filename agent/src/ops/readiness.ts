import { setTimeout as delay } from 'node:timers/promises';
import { UserError } from '@drover/shared';

export interface ReadinessOptions {
  /** Health status if the container has a health check, else its state. */
  status(): Promise<string>;
  deployTimeout: number;
  readinessDelay: number;
  say(line: string): void;
  sleep?: (seconds: number) => Promise<void>;
  now?: () => number;
  signal?: AbortSignal;
}

/**
 * Kamal's poller for roles without a proxy: `running` waits readiness_delay and re-checks; `running` or
 * `healthy` succeeds; otherwise retry after min(attempt, time left) seconds, attempt growing by one,
 * until deploy_timeout: `container not ready after N seconds (<status>)`.
 */
export async function waitForReadiness(o: ReadinessOptions): Promise<string> {
  const sleep = o.sleep ?? ((s: number) => delay(s * 1000, undefined, { signal: o.signal }));
  const now = o.now ?? Date.now;
  const deadline = now() + o.deployTimeout * 1000;
  let attempt = 1;
  let status = 'unknown';
  for (;;) {
    status = await o.status();
    if (status === 'running' && o.readinessDelay > 0) {
      o.say(`Container is running, waiting for readiness delay of ${o.readinessDelay} seconds`);
      await sleep(Math.min(o.readinessDelay, Math.max(0, (deadline - now()) / 1000)));
      status = await o.status();
    }
    if (status === 'running' || status === 'healthy') {
      o.say('Container is healthy!');
      return status;
    }
    const left = (deadline - now()) / 1000;
    if (left <= 0) break;
    o.say(`Container not ready (${status}), retrying in ${Math.min(attempt, Math.ceil(left))}s...`);
    await sleep(Math.min(attempt, left));
    attempt += 1;
  }
  throw new UserError(`container not ready after ${o.deployTimeout} seconds (${status})`);
}
