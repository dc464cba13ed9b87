import type { PresenceUpdate, Store } from '../store/store.js';

/**
 * Batches last-seen/address/version writes: they are informative, not
 * critical, and a reconnect storm of 10k agents must not cost 10k fsyncs.
 */
export class PresenceWriter {
  private pending = new Map<string, PresenceUpdate>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly store: Store, intervalMs = 1000, private readonly onError: (err: unknown) => void = () => {}) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  record(u: PresenceUpdate): void {
    const prev = this.pending.get(u.id);
    this.pending.set(u.id, prev ? { ...prev, ...stripUndefined(u) } : u);
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      this.store.recordPresence(batch);
    } catch (err) {
      this.onError(err);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

function stripUndefined(u: PresenceUpdate): Partial<PresenceUpdate> {
  return Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined));
}
