/**
 * Group commit for a deployment's events and steps: written as they happen, committed together at the
 * end of the event-loop turn, one commit for all the hosts' progress of that turn instead of one each.
 * Anything that reads or orders against them flushes first (the rows are then visible). A commit may
 * return a promise that settles once it is durable (the store syncs the WAL off the event loop, so the
 * rollout's next requests do not wait behind an fsync); `afterCommit` runs once everything added before
 * it is durable (live followers hear of an event only then, so a follower never sees an event a crash
 * could take back).
 *
 * A turn that produced more than `chunk` items (a phase dispatched to thousands of hosts) commits them
 * `chunk` at a time, one turn each, so requests waiting on the loop are served in between.
 */
export class GroupCommit<T> {
  private pending: T[] = [];
  /** Callbacks, each with the number of items that must be durable before it runs. */
  private callbacks: { after: number; cb: () => void }[] = [];
  private added = 0;
  private committed = 0;
  private durable = 0;
  private scheduled = false;
  private failure: unknown = null;

  constructor(private readonly commit: (items: T[]) => void | Promise<void>, private readonly chunk = 2_000) {}

  add(item: T): void {
    this.rethrow();
    this.pending.push(item);
    this.added++;
    this.schedule();
  }

  get size(): number {
    return this.pending.length;
  }

  /** Commits what is pending now (a no-op when nothing is); its durability may follow later. */
  flush(): void {
    this.rethrow();
    this.commitSome(this.pending.length);
  }

  /** Runs `cb` once everything added so far is durable (at once when it already is). */
  afterCommit(cb: () => void): void {
    if (this.durable === this.added) cb();
    else this.callbacks.push({ after: this.added, cb });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.commitSome(this.chunk);
        if (this.pending.length > 0) this.schedule();
      } catch (err) {
        // Reported to the next caller: a timer has no one to throw to.
        this.failure = err;
      }
    });
  }

  private commitSome(count: number): void {
    if (this.pending.length === 0) return;
    const items = this.pending.length <= count ? this.pending : this.pending.slice(0, count);
    this.pending = this.pending.length <= count ? [] : this.pending.slice(count);
    this.committed += items.length;
    const upTo = this.committed;
    let synced: void | Promise<void>;
    try {
      synced = this.commit(items);
    } catch (err) {
      this.abandon(upTo);
      throw err;
    }
    if (!synced) return this.markDurable(upTo);
    synced.then(() => this.markDurable(upTo), (err: unknown) => {
      this.failure ??= err;
      this.abandon(upTo);
    });
  }

  /**
   * A commit or its sync failed (the failure goes to the next caller): nobody is told of anything up to its
   * last item, whose durability is unknown, and the count moves past them so that later callers and
   * followers are not left waiting for them.
   */
  private abandon(upTo: number): void {
    this.callbacks = this.callbacks.filter((c) => c.after > upTo);
    this.markDurable(upTo);
  }

  /** A sync that started after item `upTo` was written covers every item before it too. */
  private markDurable(upTo: number): void {
    if (upTo <= this.durable) return;
    this.durable = upTo;
    const due = this.callbacks.filter((c) => c.after <= this.durable);
    if (due.length === 0) return;
    this.callbacks = this.callbacks.filter((c) => c.after > this.durable);
    for (const { cb } of due) cb();
  }

  private rethrow(): void {
    if (this.failure === null) return;
    const err = this.failure;
    this.failure = null;
    throw err;
  }
}
