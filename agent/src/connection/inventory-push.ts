import type Docker from 'dockerode';
import { MAX_INVENTORY_CONTAINERS, type Inventory, type InventoryInput, type RpcSession } from '@drover/shared/protocol';
import { collectInventory as collectManaged } from '../ops/index.js';
import { collectInventory as collectHost } from '../host/host-info.js';
import type { AgentLogger } from '../log.js';

/**
 * The host facts plus the managed containers (apps, accessories, kamal-proxy) as Kamal labels them, so
 * containers Kamal deployed before the agent came are reported the same way. A failing Docker daemon
 * leaves `managed` null rather than failing the whole report.
 */
export async function hostInventory(docker: Docker | null, hostName: string, log: AgentLogger, facts: Promise<InventoryInput> = collectHost(docker)): Promise<InventoryInput> {
  const base = await facts;
  if (!docker) return { ...base, managed: null };
  try {
    const m = await collectManaged(docker, hostName);
    const truncated = m.containers.length > MAX_INVENTORY_CONTAINERS;
    return { ...base, managed: { collectedAt: m.collectedAt, containers: m.containers.slice(0, MAX_INVENTORY_CONTAINERS), proxy: m.proxy, truncated } };
  } catch (err) {
    log.warn('could not list managed containers for the inventory', { reason: (err as Error).message });
    return { ...base, managed: null };
  }
}

/** How long the pushes that follow container changes reuse the host facts (`docker info`). */
const HOST_FACTS_MAX_AGE_MS = 60_000;

/**
 * The host facts, collected anew on every connection (`fresh`) but reused for a minute by the reports that
 * follow container changes (`recent`): `docker info` costs the daemon far more than listing containers, a
 * deploy changes containers several times, and on a busy host that work competes with the deploy itself.
 */
export function hostFacts(docker: Docker | null, now: () => number = Date.now, collect: () => Promise<InventoryInput> = () => collectHost(docker)): { fresh(): Promise<InventoryInput>; recent(): Promise<InventoryInput> } {
  let last: { at: number; facts: Promise<InventoryInput> } | null = null;
  const fresh = () => {
    const facts = collect();
    last = { at: now(), facts };
    facts.catch(() => { last = null; });
    return facts;
  };
  return { fresh, recent: () => (last && now() - last.at < HOST_FACTS_MAX_AGE_MS ? last.facts : fresh()) };
}

/**
 * Pushes a fresh inventory on the live session after changes. Bursts (a deploy touches several
 * containers) collapse into one report sent `delayMs` after the last change; one collection at a time.
 */
export class InventoryPusher {
  private session: RpcSession | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;

  constructor(private readonly collect: () => Promise<InventoryInput>, private readonly log: AgentLogger, private readonly delayMs = 200) {}

  /** The session of the current connection (null once it closed). */
  attach(session: RpcSession | null): void {
    this.session = session;
  }

  changed(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = null; void this.push(); }, this.delayMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.session = null;
  }

  private async push(): Promise<void> {
    if (this.running) { this.again = true; return; }
    this.running = true;
    try {
      const inv = await this.collect();
      // The session parses nothing on send; the controller validates it against the same schema.
      this.session?.notify(inv as Inventory);
    } catch (err) {
      this.log.warn('could not send the inventory', { reason: (err as Error).message });
    } finally {
      this.running = false;
      if (this.again) { this.again = false; this.changed(); }
    }
  }
}
