/** Per-service pause / stop (maintenance) / resume gate in front of the targets. */

export type PauseState = 'running' | 'paused' | 'stopped';
export type GateResult = { kind: 'proceed' } | { kind: 'timed-out' } | { kind: 'stopped'; message: string };

const STATE_NUMBERS: Record<PauseState, number> = { running: 0, paused: 1, stopped: 2 };

export class PauseController {
  state: PauseState = 'running';
  stopMessage = '';
  failAfterMs = 0;
  private waiters = new Set<(result: GateResult) => void>();

  get stateNumber(): number {
    return STATE_NUMBERS[this.state];
  }

  static stateFromNumber(n: number): PauseState {
    return n === 1 ? 'paused' : n === 2 ? 'stopped' : 'running';
  }

  pause(failAfterMs: number): void {
    this.state = 'paused';
    this.failAfterMs = failAfterMs;
  }

  /** Stopping also fails requests queued by an earlier pause. */
  stop(message: string): void {
    this.state = 'stopped';
    this.stopMessage = message;
    this.release({ kind: 'stopped', message });
  }

  resume(): void {
    this.state = 'running';
    this.stopMessage = '';
    this.release({ kind: 'proceed' });
  }

  /** Immediate when running or stopped; while paused, waits for resume/stop or failAfter. */
  wait(): GateResult | Promise<GateResult> {
    if (this.state === 'running') return { kind: 'proceed' };
    if (this.state === 'stopped') return { kind: 'stopped', message: this.stopMessage };
    return new Promise((resolve) => {
      const finish = (result: GateResult): void => {
        clearTimeout(timer);
        this.waiters.delete(finish);
        resolve(result);
      };
      const timer = setTimeout(() => finish({ kind: 'timed-out' }), this.failAfterMs);
      this.waiters.add(finish);
    });
  }

  private release(result: GateResult): void {
    for (const w of [...this.waiters]) w(result);
  }
}
