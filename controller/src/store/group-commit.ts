/**
 * Group commit for a deployment's events and steps: written as they happen, committed together at the
 * end of the event-loop turn, one fsync for all the hosts' progress of that turn instead of one each
 * (with `synchronous=FULL` each commit is an fsync that blocks the loop). Anything that reads or
 * orders against them flushes first; `afterCommit` runs once they are durable (live followers hear of
 * an event only then, so a follower never sees an event a crash could take back).
 */
export class GroupCommit<T> {
  private pending: T[] = [];
  private callbacks: (() => void)[] = [];
  private scheduled = false;
  private failure: unknown = null;

  constructor(private readonly commit: (items: T[]) => void) {}

  add(item: T): void {
    this.rethrow();
    this.pending.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        try {
          this.flush();
        } catch (err) {
          // Reported to the next caller: a timer has no one to throw to.
          this.failure = err;
        }
      });
    }
  }

  get size(): number {
    return this.pending.length;
  }

  /** Commits what is pending now (a no-op when nothing is). */
  flush(): void {
    this.rethrow();
    if (this.pending.length === 0) return;
    const items = this.pending;
    const callbacks = this.callbacks;
    this.pending = [];
    this.callbacks = [];
    this.commit(items);
    for (const cb of callbacks) cb();
  }

  /** Runs `cb` once everything added so far is committed (at once when nothing is pending). */
  afterCommit(cb: () => void): void {
    if (this.pending.length === 0) cb();
    else this.callbacks.push(cb);
  }

  private rethrow(): void {
    if (this.failure === null) return;
    const err = this.failure;
    this.failure = null;
    throw err;
  }
}
