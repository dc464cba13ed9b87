import type Dockerode from 'dockerode';
import type { ZodTypeAny, z } from 'zod';
import type { OPERATION_CATALOG, OperationName, OperationResult, OperationSpec } from '@drover/shared/operations';
import type { AgentLogger } from '../log.js';

export type Chunk = string | Buffer;

/** What an operation gets besides its params. */
export interface OperationContext {
  signal: AbortSignal;
  /** The caller's id for this run; a retry with the same id gets the recorded result. */
  operationId: string;
  /** Streamed output: pull progress lines, log lines, exec output. Awaiting it applies the stream's flow control. */
  emit(chunk: Chunk): void | Promise<void>;
  /** Exec only: bytes typed by the caller (stdin). */
  stdin?: AsyncIterable<Chunk>;
  /** Exec only: TTY resizes from the caller. */
  onResize?(listener: (size: { cols: number; rows: number }) => void): void;
  /**
   * Mutating operations: resolves once the intent record is on disk (durably, for those a retry does not run
   * again). Resolved before the operation starts, except for `READS_BEFORE_INTENT`, which await it before their
   * first change; rejects with the journal's error, and then nothing may be changed.
   */
  intentDurable?: Promise<void>;
}

/**
 * An operation as the agent serves it: the catalog spec's params schema, mutates and stream mode
 * (`OperationSpec` in `@drover/shared/operations`), plus the implementation.
 */
export interface Operation<S extends ZodTypeAny = ZodTypeAny, R = unknown> extends Pick<OperationSpec<S>, 'params' | 'mutates' | 'stream'> {
  run(params: z.output<S>, ctx: OperationContext): Promise<R>;
}

/** The operation served for catalog entry `N`: its params schema, and a run typed by the catalog's result schema. */
export type CatalogOperation<N extends OperationName> = Operation<(typeof OPERATION_CATALOG)[N]['params'], OperationResult<N>>;

export interface OperationsDeps {
  docker: Dockerode;
  /** Kamal's `.kamal` on this host, e.g. /root/.kamal; its parent is Kamal's `$PWD` (the deploy user's home). */
  runDirectory: string;
  /** This host's name as the controller knows it (default for KAMAL_HOST). */
  host: string;
  log: AgentLogger;
  /** Called after an operation changed containers, so the transport can push a fresh inventory. */
  onChange?: () => void;
  /** The environment `${VAR}` and bare `--env KEY` read from (Kamal: the remote shell's). Default process.env. */
  hostEnv?: NodeJS.ProcessEnv;
}

export function defineOperation<S extends ZodTypeAny, R>(op: Operation<S, R>): Operation<S, R> {
  return op;
}
