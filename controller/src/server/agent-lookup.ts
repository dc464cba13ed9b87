import type { AgentRecord, Store } from '../store/store.js';

/** An enrolled agent by name, or by id (`agt-…`); null when there is none. */
export function agentNamed(store: Store, name: string): AgentRecord | null {
  return store.getAgentByName(name) ?? (name.startsWith('agt-') ? store.getAgent(name) : null);
}

/** Setting a timer longer than this fires it at once (Node clamps to 1 ms): the longest call deadline. */
export const UNBOUNDED_CALL_MS = 2_147_000_000;
