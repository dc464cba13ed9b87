import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '@drover/shared';
import { isoTime } from '@drover/shared/utc-time';
import { OPERATION_INTERRUPTED } from '@drover/shared/operations/failure';
import { RpcError } from '@drover/shared/protocol';
import type { AgentLogger } from '../log.js';
import { syncDirectory, writeFileInPlace, writePrivateFile, writePrivateFileDurably } from '../state/secure-file.js';

const OPERATION_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const RETAIN_MS = 7 * 24 * 3600 * 1000;

const outcomeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.object({ message: z.string(), details: z.array(z.string()), exitCode: z.number() }) }),
]);
type Outcome = z.infer<typeof outcomeSchema>;

const recordSchema = z.object({
  method: z.string(),
  /** Records written before the journal have no state, digest or start: they are finished ones. */
  state: z.enum(['started', 'finished', 'interrupted']).default('finished'),
  paramsDigest: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  recoveredAt: z.string().optional(),
  outcome: outcomeSchema.optional(),
});
type OperationRecord = z.infer<typeof recordSchema>;

/**
 * How a record is written: `durable` (temp file, fsync, rename, fsync of the directory: survives a power
 * cut), `atomic` (temp file and rename: never torn, may be lost in a power cut) or `in-place` (may be torn
 * or lost by a crash, which the records of operations a retry runs again can afford: a torn record reads
 * as interrupted, and they run again).
 */
export type WriteMode = 'durable' | 'atomic' | 'in-place';

export interface JournalOptions {
  log: AgentLogger;
  /**
   * Whether an operation found interrupted (journaled as started, never finished: the agent stopped
   * mid-way) runs again when retried with its id, or is answered `operation_interrupted`.
   */
  rerunAfterInterruption(method: string): boolean;
  /**
   * Whether the operation starts before its durable intent record is on disk, reading Docker meanwhile, and
   * awaits `intentDurable` itself before its first change (the fsyncs then overlap those reads).
   */
  readsBeforeIntent?(method: string): boolean;
  /** Writes a record (`WriteMode`); a durable write may finish later. Tests inject failures. */
  write?(path: string, data: string, mode: WriteMode): void | Promise<void>;
}

function writeRecord(path: string, data: string, mode: WriteMode): void | Promise<void> {
  if (mode === 'durable') return writePrivateFileDurably(path, data);
  if (mode === 'in-place') return writeFileInPlace(path, data);
  return writePrivateFile(path, data, { durable: false });
}

/** A stable digest of an operation's params: a retry must send the same ones. */
export function paramsDigest(params: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(params ?? null)).digest('hex')}`;
}

/**
 * The journal of mutating operations, by operation id, under `<dir>/<id>.json`: an intent record
 * (method, params digest, start) is written durably before the operation runs and the outcome after,
 * so a retry after a reconnect or an agent restart gets the recorded outcome instead of running the
 * change twice, and one the agent never finished is known as such. A retry while the first run is
 * still going waits for that run. Records older than a week are dropped.
 */
export class IdempotencyStore {
  private readonly running = new Map<string, { method: string; digest: string; promise: Promise<unknown> }>();
  /** Outcomes whose record could not be written: retries in this process still get them. */
  private readonly unrecorded = new Map<string, { method: string; digest: string; outcome: Outcome }>();
  private readonly write: (path: string, data: string, mode: WriteMode) => void | Promise<void>;

  constructor(private readonly dir: string, private readonly opts: JournalOptions) {
    this.write = opts.write ?? writeRecord;
  }

  /**
   * Runs `fn` once per operation id. `fn` gets the promise of its intent record being durable: it has
   * resolved already, unless the method reads before its intent (`readsBeforeIntent`).
   */
  async run<R>(operationId: string, method: string, params: unknown, fn: (intentDurable: Promise<void>) => Promise<R>): Promise<R> {
    if (!OPERATION_ID.test(operationId)) throw new UserError(`${method}: operation id ${JSON.stringify(operationId)} is not valid (letters, digits, ".", "_", ":", "-"; at most 128)`);
    const digest = paramsDigest(params);
    const inFlight = this.running.get(operationId);
    if (inFlight) {
      this.checkSame(operationId, inFlight, method, digest);
      return inFlight.promise as Promise<R>;
    }
    const kept = this.unrecorded.get(operationId);
    if (kept) {
      this.checkSame(operationId, kept, method, digest);
      return replay(kept.outcome) as R;
    }
    const recorded = this.read(operationId, method);
    if (recorded) {
      this.checkSame(operationId, { method: recorded.method, digest: recorded.paramsDigest }, method, digest);
      if (recorded.state === 'finished' && recorded.outcome) return replay(recorded.outcome) as R;
      if (!this.opts.rerunAfterInterruption(method)) throw interrupted(operationId, method, recorded.startedAt);
      this.opts.log.warn('running an interrupted operation again', { operationId, method, startedAt: recorded.startedAt ?? 'unknown' });
    }
    const promise = this.execute(operationId, method, digest, fn).finally(() => this.running.delete(operationId));
    this.running.set(operationId, { method, digest, promise });
    return promise;
  }

  /**
   * At agent start: every operation journaled as started was cut off by the previous process's end.
   * They are marked interrupted (and logged); leftover temp files of torn writes are removed.
   */
  recover(now = new Date()): void {
    for (const name of this.names()) {
      if (name.endsWith('.tmp')) {
        this.unlink(join(this.dir, name));
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      const record = this.read(id, '');
      if (record?.state !== 'started') continue;
      const rerun = this.opts.rerunAfterInterruption(record.method);
      this.opts.log.warn('operation interrupted by the agent stopping', { operationId: id, method: record.method, startedAt: record.startedAt ?? 'unknown', onRetry: rerun ? 'runs again' : 'answered operation_interrupted' });
      // Not fsynced: lost in a power cut, the record still reads as started and is marked again at the next start.
      this.tryWrite(id, { ...record, state: 'interrupted', recoveredAt: isoTime(now) }, this.outcomeMode(record.method));
    }
  }

  /** Drops records older than a week. */
  sweep(now = Date.now()): void {
    for (const name of this.names()) {
      const path = join(this.dir, name);
      try { if (now - statSync(path).mtimeMs > RETAIN_MS) unlinkSync(path); } catch { /* raced with another sweep */ }
    }
  }

  private async execute<R>(id: string, method: string, digest: string, fn: (intentDurable: Promise<void>) => Promise<R>): Promise<R> {
    const base = { method, paramsDigest: digest, startedAt: isoTime() };
    const intent = this.writeIntent(id, base);
    // Awaited by fn or below; never an unhandled rejection meanwhile.
    intent.catch(() => undefined);
    if (!this.opts.readsBeforeIntent?.(method)) await intent;
    let result: R;
    try {
      result = await fn(intent);
    } catch (err) {
      // The outcome goes after the intent, never under it; without an intent nothing changed (the operation
      // awaited it first) and nothing is recorded, so a retry runs it.
      if (!(await intent.then(() => true, () => false))) throw err;
      if (err instanceof UserError) this.finish(id, base, { ok: false, error: { message: err.message, details: err.details, exitCode: err.exitCode } });
      else this.forget(id); // unexpected (cancel, Docker unreachable): it ended here, and a retry runs it again
      throw err;
    }
    // Resolved: an operation that reads before its intent awaited it before changing anything.
    await intent.catch(() => undefined);
    this.finish(id, base, { ok: true, result });
    return result;
  }

  /** The intent record, durable for the operations a retry does not run again; its failure is a UserError. */
  private async writeIntent(id: string, base: { method: string; paramsDigest: string; startedAt: string }): Promise<void> {
    try {
      await this.write(this.pathOf(id), JSON.stringify({ ...base, state: 'started' }), this.mustSurvive(base.method) ? 'durable' : 'in-place');
    } catch (err) {
      throw new UserError(`${base.method}: cannot journal operation ${id} before running it, so nothing was changed: ${(err as Error).message}`);
    }
  }

  /**
   * Records the outcome; a failure to do so never changes the outcome (the change is made), it is logged.
   * Never fsynced, as it is on the way to the reply: a power cut that takes it leaves the durable intent
   * record, so the retry is answered `operation_interrupted` (or runs again, for those that may), never a
   * second run of one that may not.
   */
  private finish(id: string, base: { method: string; paramsDigest: string; startedAt: string }, outcome: Outcome): void {
    const record: OperationRecord = { ...base, state: 'finished', finishedAt: isoTime(), outcome };
    if (!this.tryWrite(id, record, this.outcomeMode(base.method))) this.unrecorded.set(id, { method: base.method, digest: base.paramsDigest, outcome });
  }

  /**
   * Whether the operation's intent record must survive a power loss: only for those a retry does not run
   * again after an interruption. A lost (or torn) record of any other one makes its retry run it again,
   * which they are built for, so they skip the fsyncs (on the deploy's critical path) and write in place.
   */
  private mustSurvive(method: string): boolean {
    return !this.opts.rerunAfterInterruption(method);
  }

  /** Outcomes of those whose intent is durable replace it atomically: a torn one would lose the intent too. */
  private outcomeMode(method: string): Exclude<WriteMode, 'durable'> {
    return this.mustSurvive(method) ? 'atomic' : 'in-place';
  }

  private tryWrite(id: string, record: OperationRecord, mode: Exclude<WriteMode, 'durable'>): boolean {
    const warn = (err: unknown) => this.opts.log.warn('could not record an operation in the journal', { operationId: id, method: record.method, state: record.state, reason: (err as Error).message });
    try {
      // These modes write synchronously; a writer that answers later only gets its failure logged.
      void Promise.resolve(this.write(this.pathOf(id), JSON.stringify(record), mode)).catch(warn);
      return true;
    } catch (err) {
      warn(err);
      return false;
    }
  }

  private forget(id: string): void {
    this.unlink(this.pathOf(id));
  }

  private unlink(path: string): void {
    try {
      unlinkSync(path);
      syncDirectory(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.log.warn('could not remove a journal file', { path, reason: (err as Error).message });
    }
  }

  private checkSame(id: string, recorded: { method: string; digest?: string | undefined }, method: string, digest: string): void {
    if (recorded.method !== method) throw new UserError(`operation ${id} was already used for ${recorded.method}, not ${method}`);
    if (recorded.digest !== undefined && recorded.digest !== digest) throw new UserError(`operation ${id} was already used for ${method} with other params; a retry must send the same ones`);
  }

  /** The record of `id`; one that cannot be read (unknown state) counts as interrupted. */
  private read(id: string, method: string): OperationRecord | null {
    // Most ids are new: a stat, rather than a read failing with an exception, says so.
    if (!existsSync(this.pathOf(id))) return null;
    let text: string;
    try {
      text = readFileSync(this.pathOf(id), 'utf8');
    } catch {
      return null;
    }
    try {
      return recordSchema.parse(JSON.parse(text));
    } catch {
      return { method, state: 'interrupted' };
    }
  }

  private names(): string[] {
    try { return readdirSync(this.dir); } catch { return []; }
  }

  private pathOf(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}

function replay(outcome: Outcome): unknown {
  if (outcome.ok) return outcome.result;
  throw new UserError(outcome.error.message, { details: outcome.error.details, exitCode: outcome.error.exitCode });
}

function interrupted(id: string, method: string, startedAt: string | undefined): RpcError {
  return new RpcError(OPERATION_INTERRUPTED, `${method} was interrupted: the agent stopped while it ran (operation ${id}, started ${startedAt ?? 'at an unknown time'}), so what it changed on this host is unknown; check the host and run the command again`);
}
