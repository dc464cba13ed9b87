import { UserError } from '@drover/shared';
import type { Command } from '../command.js';
import { parseDuration, parseLabels, parseOrUsage, usageError } from '../args/parse.js';
import type { AgentInventory, AgentView } from '../../server/operator-api.js';
import { withClient } from '../with-client.js';

const USAGE = `Usage:
  drover agents [list] [--json]
  drover agents token [--name NAME] [--labels k=v,…] [--ttl 1h] [--reusable] [--json]
  drover agents revoke NAME
  drover agents label NAME key=value… [key-…]
  drover agents inventory NAME [--json]

  token    mint a join token for \`drover-agent enroll\` (single use unless --reusable)
  revoke   forbid an agent from connecting and drop its live connection at once
  label    set labels (key=value) or remove them (key-)
  inventory  the containers Drover or Kamal manages on that host, and kamal-proxy (as the agent last reported)`;

function ago(ms: number | null, now: number): string {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 5) return 'now';
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function formatAgentTable(agents: AgentView[], now = Date.now()): string {
  const rows = [['NAME', 'STATUS', 'LAST SEEN', 'LABELS', 'AGENT', 'DOCKER', 'ADDRESS']];
  for (const a of agents) {
    rows.push([
      a.name, a.online ? 'online' : 'offline', a.online ? 'now' : ago(a.lastSeen, now),
      Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-',
      a.agentVersion ?? '-', a.dockerVersion ?? '-', a.address ?? '-',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** One row per managed container (apps, accessories, exec, replaced), then kamal-proxy. */
export function formatInventoryTable(inv: AgentInventory): string {
  const managed = inv.inventory.managed;
  if (!managed) return `${inv.name}: the agent reported no managed containers (no Docker on that host?)`;
  const all = [...managed.containers, ...(managed.proxy ? [managed.proxy] : [])];
  if (all.length === 0) return `${inv.name}: no managed containers`;
  const rows = [['CONTAINER', 'KIND', 'ROLE', 'VERSION', 'STATE', 'HEALTH']];
  for (const c of all) rows.push([c.name, c.kind, c.role ?? '-', c.version ?? '-', c.state, c.health === 'none' ? '-' : c.health]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
  return managed.truncated ? `${table}\n(only the newest ${managed.containers.length} containers were reported)` : table;
}

async function inventory(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, { json: { type: 'boolean' } }, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  if (positionals.length !== 1) throw usageError('expected exactly one agent NAME', USAGE);
  const inv = await withClient((c) => c.inventory(positionals[0]!));
  console.log(values.json ? JSON.stringify(inv, null, 2) : formatInventoryTable(inv));
  return 0;
}


async function list(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, { json: { type: 'boolean' } }, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  if (positionals.length) throw usageError(`unexpected argument "${positionals[0]}"`, USAGE);
  const agents = await withClient((c) => c.listAgents());
  console.log(values.json ? JSON.stringify({ agents }, null, 2) : agents.length ? formatAgentTable(agents) : 'no agents enrolled; mint a join token with `drover agents token`');
  return 0;
}

async function token(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, {
    name: { type: 'string' }, labels: { type: 'string', multiple: true }, ttl: { type: 'string' }, reusable: { type: 'boolean' }, json: { type: 'boolean' },
  }, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  if (positionals.length) throw usageError(`unexpected argument "${positionals[0]}"`, USAGE);
  const ttlSeconds = parseDuration(values.ttl ?? '1h', '--ttl', USAGE);
  if (ttlSeconds < 60 || ttlSeconds > 7 * 86400) throw usageError('--ttl must be between 1m and 7d', USAGE);
  const labels = parseLabels(values.labels ?? [], '--labels', USAGE);
  const minted = await withClient((c) => c.mintJoinToken({ name: values.name, labels, ttlSeconds, reusable: values.reusable ?? false }));
  if (values.json) {
    console.log(JSON.stringify(minted, null, 2));
  } else {
    console.log(minted.token);
    process.stderr.write(`join token for ${values.name ?? 'any name'}, ${values.reusable ? 'reusable' : 'single use'}, expires ${new Date(minted.expiresAt).toISOString()}\n`);
    process.stderr.write(`install on the server with:\n  ${minted.installCommand}\nor, with drover-agent already installed:\n  drover-agent enroll --token <token>\n`);
  }
  return 0;
}

async function revoke(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, {}, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  if (positionals.length !== 1) throw usageError('expected exactly one agent NAME', USAGE);
  const r = await withClient((c) => c.revoke(positionals[0]!));
  console.log(`revoked ${r.revoked}${r.wasOnline ? ' (its live connection was dropped)' : ''}`);
  return 0;
}

async function label(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(argv, {}, USAGE);
  if (values.help) return (console.log(USAGE), 0);
  const [name, ...changes] = positionals;
  if (!name || changes.length === 0) throw usageError('expected NAME and at least one key=value or key-', USAGE);
  const remove = changes.filter((c) => !c.includes('=') && c.endsWith('-')).map((c) => c.slice(0, -1));
  const set = parseLabels(changes.filter((c) => c.includes('=')), 'label', USAGE);
  const bad = changes.find((c) => !c.includes('=') && !c.endsWith('-'));
  if (bad) throw usageError(`label: expected key=value or key-, got "${bad}"`, USAGE);
  const r = await withClient((c) => c.label(name, { set, remove }));
  console.log(`${r.name}: ${Object.entries(r.labels).map(([k, v]) => `${k}=${v}`).join(',') || '(no labels)'}`);
  return 0;
}

export const command: Command = {
  summary: 'list, enroll (join tokens), revoke and label agents; show what runs on a host',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === 'list' || sub === '--json') return list(sub === '--json' ? argv : rest);
    if (sub === 'token') return token(rest);
    if (sub === 'revoke') return revoke(rest);
    if (sub === 'label') return label(rest);
    if (sub === 'inventory') return inventory(rest);
    if (sub === '--help' || sub === '-h' || sub === 'help') return (console.log(USAGE), 0);
    throw new UserError(`unknown subcommand "${sub}"\n\n${USAGE}`, { exitCode: 64 });
  },
};
