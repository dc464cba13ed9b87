import Docker from 'dockerode';
import type { AgentLogger } from '../log.js';

/** Container events that change what the inventory reports (state, health, names). */
const INVENTORY_EVENTS = ['create', 'start', 'die', 'stop', 'kill', 'destroy', 'rename', 'pause', 'unpause', 'health_status'];

/**
 * Follows the Docker event stream and calls `onChange` for container events, so a health check
 * turning healthy, a crash, or a container someone started by hand reaches the controller without
 * waiting for the next operation. Reconnects to the daemon after `retryMs` until `signal` aborts.
 */
export function watchDockerEvents(socketPath: string, onChange: () => void, signal: AbortSignal, log: AgentLogger, retryMs = 5_000): void {
  // Its own client: the agent's default one has a request timeout, which would cut this long-lived stream.
  const docker = new Docker({ socketPath });
  const follow = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        const stream = (await docker.getEvents({ filters: JSON.stringify({ type: ['container'], event: INVENTORY_EVENTS }) })) as NodeJS.ReadableStream & { destroy(): void };
        const stop = () => stream.destroy();
        signal.addEventListener('abort', stop, { once: true });
        await new Promise<void>((resolve) => {
          stream.on('data', () => onChange());
          stream.on('end', resolve);
          stream.on('close', resolve);
          stream.on('error', resolve);
        });
        signal.removeEventListener('abort', stop);
      } catch (err) {
        log.warn('cannot follow Docker events', { reason: (err as Error).message });
      }
      if (!signal.aborted) await new Promise((r) => setTimeout(r, retryMs).unref());
    }
  };
  void follow();
}
