import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { DeploymentStore } from '../store/deployment-store.js';

/**
 * What a deployment reports, in order. Stored with an index so an operator can attach (or re-attach)
 * from any point; the last event is always `end`. Secret values never appear in any field.
 */
export const DeploymentEvent = z.discriminatedUnion('type', [
  /** A Kamal console line (`Acquiring the deploy lock...`, barrier messages, …). */
  z.object({ type: z.literal('say'), text: z.string() }),
  /** One host's progress, with the time since its phase started. */
  z.object({ type: z.literal('host'), host: z.string(), text: z.string(), elapsedMs: z.number() }),
  z.object({
    type: z.literal('step'), step: z.string(), host: z.string().nullable(), op: z.string(),
    status: z.enum(['running', 'succeeded', 'failed']), elapsedMs: z.number().optional(),
    error: z.string().optional(), details: z.array(z.string()).optional(),
  }),
  /** The operator's machine must run this hook now; the rollout waits for its result. */
  z.object({
    type: z.literal('hook'), step: z.string(), hook: z.string(), hosts: z.array(z.string()),
    /** Set on replay when the hook already reported back: a follower must not run it again. */
    settled: z.boolean().optional(),
  }),
  z.object({ type: z.literal('hook_done'), step: z.string(), hook: z.string(), ok: z.boolean() }),
  z.object({
    type: z.literal('end'), status: z.enum(['succeeded', 'failed', 'rolled_back']), error: z.string().nullable(),
    details: z.array(z.string()), exitCode: z.number().int(), runtimeSeconds: z.number(),
  }),
]);
export type DeploymentEvent = z.infer<typeof DeploymentEvent>;

export const IndexedEvent = z.object({ index: z.number().int(), at: z.number(), event: DeploymentEvent });
export type IndexedEvent = z.infer<typeof IndexedEvent>;

/** Appends a deployment's events to the store and tells live followers. */
export class EventLog {
  private readonly live = new EventEmitter();

  constructor(private readonly store: DeploymentStore, private readonly clock: () => number = Date.now) {
    this.live.setMaxListeners(0);
  }

  append(deploymentId: string, event: DeploymentEvent): IndexedEvent {
    const at = this.clock();
    const index = this.store.appendEvent(deploymentId, at, event);
    const indexed = { index, at, event };
    // Stored, then live: a follower never hears of an event a crash could still take back.
    this.store.afterCommit(() => this.live.emit(deploymentId, indexed));
    return indexed;
  }

  /**
   * Events from `from` on, then live ones until `end` (or until `signal` aborts), in batches: the stored
   * ones, then whatever arrived together (a group commit's worth), so a follower's connection gets one
   * write per batch rather than one per event. Nothing is missed or repeated; `omitSteps` leaves out the
   * step records (a follower that prints only Kamal's lines).
   */
  async *follow(deploymentId: string, from: number, signal: AbortSignal, opts: { omitSteps?: boolean } = {}): AsyncGenerator<IndexedEvent[]> {
    const wanted = (e: IndexedEvent) => !(opts.omitSteps && e.event.type === 'step');
    let queue: IndexedEvent[] = [];
    let wake: (() => void) | null = null;
    const onEvent = (e: IndexedEvent) => { queue.push(e); wake?.(); };
    const onAbort = () => wake?.();
    this.live.on(deploymentId, onEvent);
    signal.addEventListener('abort', onAbort);
    try {
      let next = from;
      /** Set once `end` is taken: nothing after it is sent. */
      let ended = false;
      const take = (events: IndexedEvent[]): IndexedEvent[] => {
        const out: IndexedEvent[] = [];
        for (const e of events) {
          if (ended || e.index < next) continue;
          if (wanted(e)) out.push(e);
          next = e.index + 1;
          if (e.event.type === 'end') ended = true;
        }
        return out;
      };
      // Only durable events are read back; the rest come live once they are (afterCommit, in order).
      await new Promise<void>((resolve) => this.store.afterCommit(resolve));
      const stored = this.store.listEvents(deploymentId, from).map((r) => ({ index: r.index, at: r.at, event: DeploymentEvent.parse(r.event) }));
      const settled = new Set(stored.flatMap((e) => (e.event.type === 'hook_done' ? [e.event.step] : [])));
      for (const e of stored) if (e.event.type === 'hook' && settled.has(e.event.step)) e.event = { ...e.event, settled: true };
      const replay = take(stored);
      if (replay.length > 0) yield replay;
      while (!ended && !signal.aborted) {
        if (queue.length === 0) {
          await new Promise<void>((resolve) => { wake = resolve; });
          wake = null;
          continue;
        }
        const arrived = queue;
        queue = [];
        const batch = take(arrived);
        if (batch.length > 0) yield batch;
      }
    } finally {
      this.live.off(deploymentId, onEvent);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
