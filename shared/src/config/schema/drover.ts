import { z } from 'zod';
import { kBoolean, kHash, kInteger, kString, opt } from './kinds.js';

/**
 * `x-drover:` — Drover's own settings. Kamal ignores root `x-*` keys, so a file carrying them
 * still deploys with Kamal.
 */
export const droverSchema = kHash({
  /** The controller's URL, e.g. `https://drover.example.com:7443`. */
  controller: opt(kString),
  /** Name of the project on the controller; defaults to the service. */
  project: opt(kString),
  /** Seconds a deploy waits for an agent to be connected before failing its host. */
  agent_timeout: opt(kInteger),
  /**
   * When a boot group fails its health gate, the hosts that already switched to the new version go back to
   * the version they ran before (Kamal leaves them on the new one). Default true.
   */
  auto_rollback: opt(kBoolean),
});
export type DroverSettings = z.infer<typeof droverSchema>;
