import { UserError } from '@drover/shared';
import type { Command } from '../command.js';
import { parseOrUsage, usageError } from '../args/parse.js';
import type { DeploymentView } from '../../server/deployments-api.js';
import { withClient } from '../with-client.js';

const USAGE = `Usage:
  drover deployments [list] [--service S] [--limit N] [--json]
  drover deployments show ID [--json]
  drover deployments watch ID [--json]

  list    recent deployments, newest first
  show    one deployment with its steps (host, operation, status, timings)
  watch   follow a deployment's events from the start until it ends; exits with its exit code
          (hooks run by a watcher need the project directory: run it there)`;


const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
const took = (d: DeploymentView) => (d.finishedAt === null ? '-' : `${((d.finishedAt - d.createdAt) / 1000).toFixed(1)}s`);

export function formatDeployments(list: DeploymentView[]): string {
  const rows = [['ID', 'SERVICE', 'COMMAND', 'VERSION', 'STATUS', 'STARTED', 'TOOK', 'BY']];
  for (const d of list) rows.push([d.id, d.destination ? `${d.service}/${d.destination}` : d.service, d.command, d.version, d.status, when(d.createdAt), took(d), d.performer]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

async function list(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, { service: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  if (positionals.length) throw usageError(`unexpected argument "${positionals[0]}"`, USAGE);
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw usageError('--limit: expected a number from 1 to 1000', USAGE);
  const deployments = await withClient((c) => c.listDeployments({ service: values.service, limit }));
  console.log(values.json ? JSON.stringify({ deployments }, null, 2) : deployments.length ? formatDeployments(deployments) : 'no deployments yet');
  return 0;
}

async function show(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, { json: { type: 'boolean' } }, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  if (positionals.length !== 1) throw usageError('expected exactly one deployment ID', USAGE);
  const detail = await withClient((c) => c.deployment(positionals[0]!));
  if (values.json) return (console.log(JSON.stringify(detail, null, 2)), 0);
  const d = detail.deployment;
  console.log(formatDeployments([d]));
  if (d.error) console.log(`\nerror: ${d.error}`);
  if (detail.steps.length) {
    console.log('');
    for (const s of detail.steps) {
      const ms = s.finishedAt === null ? 'running' : `${((s.finishedAt - s.startedAt) / 1000).toFixed(1)}s`;
      console.log(`  ${(s.host ?? '-').padEnd(16)} ${s.kind.padEnd(22)} ${s.status.padEnd(9)} ${ms}${s.error ? `  ${s.error}` : ''}`);
    }
  }
  return 0;
}

async function watch(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, { json: { type: 'boolean' } }, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  if (positionals.length !== 1) throw usageError('expected exactly one deployment ID', USAGE);
  const { FlowContext, followDeployment } = await import('../../operator/deploy-flow.js');
  const { loadProject } = await import('../../operator/project.js');
  return withClient(async (c) => {
    const { deployment } = await c.deployment(positionals[0]!);
    // In the project directory the watcher can run the hooks the rollout reaches.
    const project = await loadProject({ cwd: process.cwd(), destination: deployment.destination ?? undefined, version: deployment.version }).catch(() => null);
    const ctx = new FlowContext({ command: deployment.command as 'deploy', json: Boolean(values.json), verbosity: 'normal', selection: { roles: [], hosts: [], primary: false } }, project, { out: (l) => console.log(l), err: (l) => console.error(l) }, deployment.createdAt);
    return followDeployment(c, deployment, ctx);
  });
}

export const command: Command = {
  summary: 'List deployments, show one with its steps, or follow one as it runs',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === 'list' || sub.startsWith('--')) return list(sub === 'list' ? rest : argv);
    if (sub === 'show') return show(rest);
    if (sub === 'watch') return watch(rest);
    if (sub === 'help') return (console.log(USAGE), 0);
    throw new UserError(`unknown subcommand "${sub}"\n\n${USAGE}`, { exitCode: 64 });
  },
};
