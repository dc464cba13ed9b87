import type { CommandSpec, Invocation } from '../framework/spec.js';
import { withClient } from '../with-client.js';

type View = Awaited<ReturnType<import('../../client/operator-client.js').OperatorClient['convergence']>>;

function print(inv: Invocation, v: View): number {
  if (inv.globals.json) return (inv.io.out(JSON.stringify(v, null, 2)), 0);
  inv.io.out(`Convergence is ${v.paused ? 'paused' : 'on'}`);
  if (v.pending.length === 0) inv.io.out('No host is waiting to converge');
  for (const p of v.pending) {
    const tried = p.attempts ? `, ${p.attempts} ${p.attempts === 1 ? 'attempt' : 'attempts'}${p.lastError ? `, last error: ${p.lastError}` : ''}` : '';
    inv.io.out(`${p.host}: ${p.key} to ${p.version} (skipped by ${p.deploymentId} at ${new Date(p.since).toISOString()}${tried})`);
  }
  return 0;
}

const setPaused = (paused: boolean) => async (inv: Invocation): Promise<number> => print(inv, await withClient(inv, (c) => c.setConvergencePaused(paused)));

export const convergeCommand: CommandSpec = {
  name: 'converge',
  summary: 'Show the hosts waiting to converge; pause or resume convergence',
  description: `A host a deployment skipped (x-drover/offline: skip) is brought to that deployment's version by the
controller once its agent connects again: a \`deploy -P -h HOST\` recorded as performed by "drover converge",
taking the deploy lock like any deployment. Pausing stops new convergences (one under way finishes).`,
  subcommands: [
    { name: 'status', summary: 'Hosts waiting to converge, and whether convergence is paused', run: async (inv) => print(inv, await withClient(inv, (c) => c.convergence())) },
    { name: 'pause', summary: 'Start no convergence until resumed', run: setPaused(true) },
    { name: 'resume', summary: 'Converge waiting hosts again (looks at once)', run: setPaused(false) },
  ],
};
