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

/** How long after the last change a report goes out (changes in a burst make one report). */
const REPORT_DELAY_MS = 200;
/** How long a running operation may hold back the report of a change. */
const MAX_HOLD_MS = 5_000;

/**
 * Pushes a fresh inventory on the live session after changes. Bursts (a deploy touches several
 * containers) collapse into one report sent `delayMs` after the last change; one collection at a time.
 * While a mutating operation runs (`hold`), reports wait for it, up to `maxHoldMs` after the first change:
 * a deploy's phases follow each other within milliseconds, and a report in between (listing containers,
 * serialising, sending) would compete with the deploy for the daemon and the CPU. One report follows.
 */
export class InventoryPusher {
  private session: RpcSession | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private holds = 0;
  /** When the oldest change not yet reported happened (null: none pending). */
  private pendingSince: number | null = null;

  constructor(
    private readonly collect: () => Promise<InventoryInput>,
    private readonly log: AgentLogger,
    private readonly o: { delayMs?: number; maxHoldMs?: number; now?: () => number } = {},
  ) {}

  /** The session of the current connection (null once it closed). */
  attach(session: RpcSession | null): void {
    this.session = session;
  }

  changed(): void {
    this.pendingSince ??= this.now();
    this.arm();
  }

  /** A mutating operation starts; the returned function ends it (and counts as a change). */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.changed();
    };
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.session = null;
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), this.o.delayMs ?? REPORT_DELAY_MS);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    const held = this.holds > 0 && this.pendingSince !== null && this.now() - this.pendingSince < (this.o.maxHoldMs ?? MAX_HOLD_MS);
    if (held) return this.arm();
    this.pendingSince = null;
    void this.push();
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
