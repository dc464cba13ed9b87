import { usageError } from '../framework/errors.js';
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { table } from '../table.js';
import type { DeploymentView } from '../../server/deployments-api.js';
import { withClient } from '../with-client.js';

const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
const took = (d: DeploymentView) => (d.finishedAt === null ? '-' : `${((d.finishedAt - d.createdAt) / 1000).toFixed(1)}s`);

export function formatDeployments(list: DeploymentView[]): string {
  const rows = [['ID', 'SERVICE', 'COMMAND', 'VERSION', 'STATUS', 'STARTED', 'TOOK', 'BY']];
  for (const d of list) rows.push([d.id, d.destination ? `${d.service}/${d.destination}` : d.service, d.command, d.version, d.status, when(d.createdAt), took(d), d.performer]);
  return table(rows);
}

async function list(inv: Invocation): Promise<number> {
  const limit = inv.options.limit === undefined ? 20 : Number(inv.options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw usageError('--limit: expected a number from 1 to 1000', inv.help);
  const service = typeof inv.options.service === 'string' ? inv.options.service : undefined;
  const deployments = await withClient(inv, (c) => c.listDeployments({ service, limit }));
  inv.io.out(inv.globals.json ? JSON.stringify({ deployments }, null, 2) : deployments.length ? formatDeployments(deployments) : 'no deployments yet');
  return 0;
}

async function show(inv: Invocation): Promise<number> {
  const detail = await withClient(inv, (c) => c.deployment(inv.args[0]!));
  if (inv.globals.json) return (inv.io.out(JSON.stringify(detail, null, 2)), 0);
  const d = detail.deployment;
  inv.io.out(formatDeployments([d]));
  if (d.error) inv.io.out(`\nerror: ${d.error}`);
  if (detail.steps.length) {
    inv.io.out('');
    for (const s of detail.steps) {
      const ms = s.finishedAt === null ? 'running' : `${((s.finishedAt - s.startedAt) / 1000).toFixed(1)}s`;
      inv.io.out(`  ${(s.host ?? '-').padEnd(16)} ${s.kind.padEnd(22)} ${s.status.padEnd(9)} ${ms}${s.error ? `  ${s.error}` : ''}`);
    }
  }
  return 0;
}

async function watch(inv: Invocation): Promise<number> {
  const { FlowContext, followDeployment } = await import('../../operator/deploy-flow.js');
  const { loadProject } = await import('../../operator/project.js');
  return withClient(inv, async (c) => {
    const { deployment } = await c.deployment(inv.args[0]!);
    // In the project directory the watcher can run the hooks the rollout reaches.
    const project = await loadProject({ cwd: inv.io.cwd, env: inv.io.env, destination: deployment.destination ?? undefined, version: deployment.version }).catch(() => null);
    const ctx = new FlowContext({ command: deployment.command as 'deploy', json: inv.globals.json, verbosity: inv.globals.verbosity, selection: { roles: [], hosts: [], primary: false } }, project, inv.io, deployment.createdAt);
    return followDeployment(c, deployment, ctx);
  });
}

export const deploymentsCommand: CommandSpec = {
  name: 'deployments',
  summary: 'List deployments, show one with its steps, or follow one as it runs',
  defaultSubcommand: 'list',
  subcommands: [
    {
      name: 'list',
      summary: 'Recent deployments (and other recorded commands), newest first',
      options: {
        service: { type: 'string', value: 'SERVICE', description: 'Only this service' },
        limit: { type: 'string', value: 'N', description: 'At most N (default 20)' },
      },
      run: list,
    },
    { name: 'show', summary: 'One deployment with its steps (host, operation, status, timings)', usage: 'ID', args: { min: 1, max: 1 }, run: show },
    {
      name: 'watch',
      summary: "Follow a deployment's events from the start until it ends; exits with its exit code",
      description: "Follow a deployment's events from the start until it ends; exits with its exit code.\nHooks the rollout reaches run on this machine: run it in the project directory.",
      usage: 'ID',
      args: { min: 1, max: 1 },
      run: watch,
    },
  ],
};
