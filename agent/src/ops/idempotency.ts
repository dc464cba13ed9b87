import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '@drover/shared';

const OPERATION_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const RETAIN_MS = 7 * 24 * 3600 * 1000;

const recordSchema = z.object({
  method: z.string(),
  finishedAt: z.string(),
  outcome: z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), result: z.unknown() }),
    z.object({ ok: z.literal(false), error: z.object({ message: z.string(), details: z.array(z.string()), exitCode: z.number() }) }),
  ]),
});
type OperationRecord = z.infer<typeof recordSchema>;

/**
 * Results of mutating operations by operation id, in memory and under `<dir>/<id>.json`, so a retry after a
 * reconnect (or an agent restart) gets the recorded outcome instead of running the change twice. A retry
 * while the first run is still going waits for that run. Records older than a week are dropped.
 */
export class IdempotencyStore {
  private readonly running = new Map<string, { method: string; promise: Promise<unknown> }>();

  constructor(private readonly dir: string) {}

  async run<R>(operationId: string, method: string, fn: () => Promise<R>): Promise<R> {
    if (!OPERATION_ID.test(operationId)) throw new UserError(`${method}: operation id ${JSON.stringify(operationId)} is not valid (letters, digits, ".", "_", ":", "-"; at most 128)`);
    const inFlight = this.running.get(operationId);
    if (inFlight) {
      this.checkMethod(operationId, inFlight.method, method);
      return inFlight.promise as Promise<R>;
    }
    const recorded = this.read(operationId);
    if (recorded) {
      this.checkMethod(operationId, recorded.method, method);
      if (recorded.outcome.ok) return recorded.outcome.result as R;
      const e = recorded.outcome.error;
      throw new UserError(e.message, { details: e.details, exitCode: e.exitCode });
    }
    const promise = fn().then(
      (result) => { this.write(operationId, { method, finishedAt: new Date().toISOString(), outcome: { ok: true, result } }); return result; },
      (err: unknown) => {
        if (err instanceof UserError) {
          this.write(operationId, { method, finishedAt: new Date().toISOString(), outcome: { ok: false, error: { message: err.message, details: err.details, exitCode: err.exitCode } } });
        }
        throw err;
      },
    ).finally(() => this.running.delete(operationId));
    this.running.set(operationId, { method, promise });
    return promise;
  }

  private checkMethod(id: string, recorded: string, asked: string): void {
    if (recorded !== asked) throw new UserError(`operation ${id} was already used for ${recorded}, not ${asked}`);
  }

  private read(id: string): OperationRecord | null {
    try {
      return recordSchema.parse(JSON.parse(readFileSync(join(this.dir, `${id}.json`), 'utf8')));
    } catch {
      return null;
    }
  }

  private write(id: string, record: OperationRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, `${id}.json`);
    writeFileSync(`${path}.tmp`, JSON.stringify(record), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }

  /** Drops records older than a week. */
  sweep(now = Date.now()): void {
    let names: string[];
    try { names = readdirSync(this.dir); } catch { return; }
    for (const name of names) {
      const path = join(this.dir, name);
      try { if (now - statSync(path).mtimeMs > RETAIN_MS) unlinkSync(path); } catch { /* raced with another sweep */ }
    }
  }
}
