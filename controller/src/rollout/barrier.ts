/**
 * Kamal's boot barrier: one-shot; the first `open` or `close` wins. Containers of other roles wait
 * for the primary role's first healthy container and are not booted if it fails.
 */
export class Barrier {
  private state: boolean | null = null;
  private readonly settled: Promise<boolean>;
  private settle!: (open: boolean) => void;

  constructor() {
    this.settled = new Promise((resolve) => { this.settle = resolve; });
  }

  /** true when this call decided the barrier (open). */
  open(): boolean {
    return this.set(true);
  }

  /** true when this call decided the barrier (closed). */
  close(): boolean {
    return this.set(false);
  }

  /** Resolves true once opened, false once closed. */
  wait(): Promise<boolean> {
    return this.settled;
  }

  private set(value: boolean): boolean {
    if (this.state !== null) return false;
    this.state = value;
    this.settle(value);
    return true;
  }
}
