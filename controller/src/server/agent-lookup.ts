import { AGENT_ID_PREFIX } from '@drover/shared/protocol';
import type { AgentRecord, Store } from '../store/store.js';

/** Whether an operator's word for an agent is its id: names can never carry the id prefix. */
export function isAgentId(nameOrId: string): boolean {
  return nameOrId.startsWith(AGENT_ID_PREFIX);
}

/**
 * An enrolled agent by id (`agt-…`) or else by name; null when there is none. Ids and names
 * never overlap, so an agent that named itself after another's id can't be found in its place.
 */
export function agentNamed(store: Pick<Store, 'getAgent' | 'getAgentByName'>, nameOrId: string): AgentRecord | null {
  return isAgentId(nameOrId) ? store.getAgent(nameOrId) : store.getAgentByName(nameOrId);
}

/** Setting a timer longer than this fires it at once (Node clamps to 1 ms): the longest call deadline. */
export const UNBOUNDED_CALL_MS = 2_147_000_000;
