import { z } from 'zod';
import { kBoolean, kHash, kInteger, kString, kStringHash, kUnion, opt } from './kinds.js';

const CANARY_HOSTS = 'should be a number of hosts (at least 1) or a percentage';

/** An agent label selector: `region=eu,tier=edge` or a hash of them; every label must match. */
const labelSelector = kUnion([
  z.string().regex(/^[^=,\s]+=[^,]*(,[^=,\s]+=[^,]*)*$/, 'should be key=value pairs separated by commas').transform((text) => Object.fromEntries(text.split(',').map((pair) => {
    const i = pair.indexOf('=');
    return [pair.slice(0, i), pair.slice(i + 1)];
  }))),
  kStringHash,
], 'should be key=value pairs (region=eu,tier=edge) or a hash of labels');

/**
 * `x-drover:` — Drover's own settings. Kamal ignores root `x-*` keys, so a file carrying them
 * still deploys with Kamal.
 */
export const droverSchema = kHash({
  /** The controller's URL, e.g. `https://drover.example.com:7443`. */
  controller: opt(kString),
  /** Name of the project on the controller; defaults to the service. */
  project: opt(kString),
  /** With `offline: wait`: seconds a deployment waits for its offline agents to connect. */
  agent_timeout: opt(kInteger.min(1, 'should be at least 1')),
  /**
   * Selected agents that are not connected when a deployment starts: `fail` it (Kamal's behaviour with an
   * unreachable host), `skip` them (the others deploy; the skipped are named), or `wait` up to agent_timeout.
   */
  offline: opt(z.enum(['fail', 'skip', 'wait'], { errorMap: () => ({ message: 'should be one of: fail, skip, wait' }) })),
  /**
   * When a boot group fails its health gate, the hosts that already switched to the new version go back to
   * the version they ran before (Kamal leaves them on the new one). Default true.
   */
  auto_rollback: opt(kBoolean),
  /**
   * A first boot group of `hosts` (a count or a percentage of the app hosts, at least 1) that must stay
   * healthy for `soak` seconds before the other hosts boot; if it does not, it is rolled back.
   */
  /**
   * Roles whose hosts include every enrolled agent carrying these labels (set at enrollment or with
   * `drover agents label`), besides the hosts named in servers.
   */
  roles: opt(z.record(kHash({ labels: labelSelector }), { invalid_type_error: 'should be a hash' })),
  canary: opt(kHash({
    hosts: kUnion([kInteger.min(1, CANARY_HOSTS), z.string().regex(/^[1-9]\d*%$/, CANARY_HOSTS)], CANARY_HOSTS),
    soak: opt(kInteger.min(1, 'should be at least 1')),
  })),
});
export type DroverSettings = z.infer<typeof droverSchema>;
