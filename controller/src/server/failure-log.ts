import type { FastifyBaseLogger } from 'fastify';

/** What was refused: each kind is counted separately in the summary. */
export type FailureKind = 'enrollment' | 'agent auth' | 'operator auth' | 'connection' | 'rate limit';

/** Refusals from one address are logged at most once per window plus one summary line. */
const WINDOW_MS = 60_000;

/** Addresses summarised one by one per window; the rest are counted together (a scan from many addresses stays a few lines). */
const MAX_ADDRESSES_PER_WINDOW = 200;

interface Suppressed {
  counts: Map<FailureKind, number>;
  lastReason: string;
}

/**
 * Logs refused enrollments, authentications and connections without letting a client flood the log:
 * the first refusal from an address in a window is logged as it happens, later ones from that address
 * become one summary line when the window ends.
 */
export class FailureLog {
  private readonly seen = new Map<string, Suppressed>();
  private othersCount = 0;
  private readonly othersAddresses = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly log: FastifyBaseLogger) {
    this.timer = setInterval(() => this.flush(), WINDOW_MS);
    this.timer.unref();
  }

  /** `summarise: false` (a trusted address) logs every refusal as it happens. */
  record(address: string, kind: FailureKind, reason: string, summarise = true): void {
    if (!summarise) return void this.log.warn({ address, refused: kind }, `${kind} refused: ${reason}`);
    const entry = this.seen.get(address);
    if (entry) {
      entry.counts.set(kind, (entry.counts.get(kind) ?? 0) + 1);
      entry.lastReason = reason;
      return;
    }
    if (this.seen.size >= MAX_ADDRESSES_PER_WINDOW) {
      this.othersCount++;
      if (this.othersAddresses.size < MAX_ADDRESSES_PER_WINDOW * 10) this.othersAddresses.add(address);
      return;
    }
    this.seen.set(address, { counts: new Map(), lastReason: reason });
    this.log.warn({ address, refused: kind }, `${kind} refused: ${reason} (more from this address are summarised once a minute)`);
  }

  /** Writes the summary lines of the window that just ended. */
  flush(): void {
    for (const [address, entry] of this.seen) {
      if (entry.counts.size === 0) continue;
      const counts = Object.fromEntries(entry.counts);
      const total = [...entry.counts.values()].reduce((a, b) => a + b, 0);
      this.log.warn({ address, refused: counts }, `${total} more refused from ${address} in the last minute (last: ${entry.lastReason})`);
    }
    if (this.othersCount > 0) {
      const addresses = this.othersAddresses.size;
      this.log.warn({ refused: this.othersCount }, `${this.othersCount} more refused from ${addresses}${addresses >= MAX_ADDRESSES_PER_WINDOW * 10 ? '+' : ''} other addresses in the last minute`);
    }
    this.seen.clear();
    this.othersAddresses.clear();
    this.othersCount = 0;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
