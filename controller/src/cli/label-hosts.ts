// `x-drover/roles/<role>/labels` on the operator's side: which enrolled agents join each role is the
// controller's knowledge, so commands that show or select hosts ask it (the controller does the same
// for a deployment, from its own list).
import type { LoadConfigOptions, ResolvedConfig } from '@drover/shared/config';
import type { Invocation } from './framework/spec.js';
import { withClient } from './with-client.js';

/**
 * The config again with the agents its label selectors match (unchanged when it has none), and those
 * matches by role (named hosts included).
 */
export async function withLabelHosts(inv: Pick<Invocation, 'globals' | 'io'>, config: ResolvedConfig, load: LoadConfigOptions): Promise<{ config: ResolvedConfig; labelMatches: Record<string, string[]> }> {
  if (Object.keys(config.drover.roleLabels).length === 0) return { config, labelMatches: {} };
  const { matchRoleLabels } = await import('../plan/fleets.js');
  const { loadConfig } = await import('@drover/shared/config');
  const agents = await withClient(inv, (c) => c.listAgents());
  const labelMatches = matchRoleLabels(config.drover.roleLabels, Object.fromEntries(agents.map((a) => [a.name, a])));
  return { config: await loadConfig({ ...load, labelHosts: labelMatches }), labelMatches };
}
