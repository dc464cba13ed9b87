// Fleets by label (`x-drover/roles/<role>/labels`, issue 12): a role's hosts include every enrolled agent
// whose labels carry the role's selector. Pure: the agents and their labels are the planner's input.
import { UserError } from '@drover/shared';
import type { ResolvedConfig } from '@drover/shared/config';
import type { AgentPresence } from './types.js';

/** `region=eu,tier=edge`: a selector as people write it. */
export function describeSelector(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

/** By role: the agents (enrolled, online or not) whose labels include every label of its selector, by name. */
export function matchRoleLabels(selectors: Record<string, Record<string, string>>, agents: Record<string, Pick<AgentPresence, 'labels'>>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(selectors).map(([role, wanted]) => [
    role,
    Object.entries(agents)
      .filter(([, a]) => Object.entries(wanted).every(([k, v]) => a.labels[k] === v))
      .map(([name]) => name)
      .sort(),
  ]));
}

/**
 * After the matched agents joined their roles: a selector's role left without hosts is an error naming it
 * (the primary role always; another one unless `allow_empty_roles`), as Kamal's own empty-role checks.
 */
export function checkLabelRoles(config: ResolvedConfig): void {
  const problems = Object.entries(config.drover.roleLabels).flatMap(([name, labels]) => {
    const role = config.roles.find((r) => r.name === name);
    if (!role || role.hosts.length > 0 || (config.allowEmptyRoles && !role.primary)) return [];
    return [`servers/${name}: no enrolled agent has the labels ${describeSelector(labels)} (\`drover agents\` shows each agent's labels)`];
  });
  if (problems.length === 1) throw new UserError(problems[0]!);
  if (problems.length > 1) throw new UserError(`${problems.length} roles have no hosts`, { details: problems });
}
