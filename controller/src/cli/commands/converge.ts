import type { ConvergenceView } from '../../server/deployments-api.js';
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { withClient } from '../with-client.js';

/** One line per waiting host: what it waits for, why, and how its convergence goes. */
export function pendingLines(pending: ConvergenceView['pending']): string[] {
  return pending.map((p) => {
    const why = p.reason === 'joined' ? `joined the label fleet of ${p.deploymentId}` : `skipped by ${p.deploymentId}`;
    const tried = p.attempts ? `, ${p.attempts} ${p.attempts === 1 ? 'attempt' : 'attempts'}${p.lastError ? `, last error: ${p.lastError}` : ''}` : '';
    const now = p.converging ? `; converging now (${p.converging})` : '';
    return `${p.host}: ${p.key} to ${p.version} (${why} at ${new Date(p.since).toISOString()}${tried})${now}`;
  });
}

function print(inv: Invocation, v: ConvergenceView): number {
  if (inv.globals.json) return (inv.io.out(JSON.stringify(v, null, 2)), 0);
  inv.io.out(`Convergence is ${v.paused ? 'paused' : 'on'}`);
  if (v.pending.length === 0) inv.io.out('No host is waiting to converge');
  for (const line of pendingLines(v.pending)) inv.io.out(line);
  return 0;
}

const setPaused = (paused: boolean) => async (inv: Invocation): Promise<number> => print(inv, await withClient(inv, (c) => c.setConvergencePaused(paused)));

export const convergeCommand: CommandSpec = {
  name: 'converge',
  summary: 'Show the hosts waiting to converge; pause or resume convergence',
  description: `A host a deployment skipped (x-drover/offline: skip), or an agent that comes to match a role's
x-drover labels after the service was deployed, is brought to the service's version by the controller once
its agent is connected: a \`deploy -P -h HOST\` recorded as performed by "drover converge". It locks that
host only (\`drover lock status\` shows it) and waits while a deployment of the service runs or its lock is
held. Pausing stops new convergences (one under way finishes).`,
  subcommands: [
    { name: 'status', summary: 'Hosts waiting to converge, and whether convergence is paused', run: async (inv) => print(inv, await withClient(inv, (c) => c.convergence())) },
    { name: 'pause', summary: 'Start no convergence until resumed', run: setPaused(true) },
    { name: 'resume', summary: 'Converge waiting hosts again (looks at once)', run: setPaused(false) },
  ],
};
