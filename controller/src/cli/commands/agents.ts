import { parseLabels } from '../args/values.js';
import { usageError } from '../framework/errors.js';
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { table } from '../table.js';
import type { AgentInventory, AgentView } from '../../server/operator-api.js';
import { withClient } from '../with-client.js';
import { ago } from '../time-format.js';
import { joinTokenCommand } from './agent-tokens.js';


export function formatAgentTable(agents: AgentView[], now = Date.now()): string {
  const rows = [['NAME', 'STATUS', 'LAST SEEN', 'LABELS', 'AGENT', 'DOCKER', 'ADDRESS']];
  for (const a of agents) {
    rows.push([
      a.name, a.online ? 'online' : 'offline', a.online ? 'now' : ago(a.lastSeen, now),
      Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-',
      a.agentVersion ?? '-', a.dockerVersion ?? '-', a.address ?? '-',
    ]);
  }
  return table(rows);
}

/** One row per managed container (apps, accessories, exec, replaced), then kamal-proxy. */
export function formatInventoryTable(inv: AgentInventory): string {
  const managed = inv.inventory.managed;
  if (!managed) return `${inv.name}: the agent reported no managed containers (no Docker on that host?)`;
  const all = [...managed.containers, ...(managed.proxy ? [managed.proxy] : [])];
  if (all.length === 0) return `${inv.name}: no managed containers`;
  const rows = [['CONTAINER', 'KIND', 'ROLE', 'VERSION', 'STATE', 'HEALTH']];
  for (const c of all) rows.push([c.name, c.kind, c.role ?? '-', c.version ?? '-', c.state, c.health === 'none' ? '-' : c.health]);
  const text = table(rows);
  return managed.truncated ? `${text}\n(only the newest ${managed.containers.length} containers were reported)` : text;
}

const json = (inv: Invocation, value: unknown): void => inv.io.out(JSON.stringify(value, null, 2));

const list: CommandSpec = {
  name: 'list',
  summary: 'The enrolled agents: online or when last seen, labels, versions, address',
  async run(inv) {
    const agents = await withClient(inv, (c) => c.listAgents());
    if (inv.globals.json) json(inv, { agents });
    else inv.io.out(agents.length ? formatAgentTable(agents) : 'no agents enrolled; mint a join token with `drover agents token`');
    return 0;
  },
};

const revoke: CommandSpec = {
  name: 'revoke',
  summary: 'Forbid an agent from connecting and drop its live connection at once',
  usage: 'NAME',
  args: { min: 1, max: 1 },
  async run(inv) {
    const r = await withClient(inv, (c) => c.revoke(inv.args[0]!));
    if (inv.globals.json) json(inv, r);
    else inv.io.out(`revoked ${r.revoked}${r.wasOnline ? ' (its live connection was dropped)' : ''}`);
    return 0;
  },
};

const label: CommandSpec = {
  name: 'label',
  summary: 'Set labels (key=value) or remove them (key-)',
  usage: 'NAME key=value|key-...',
  args: { min: 2, max: null },
  async run(inv) {
    const [name, ...changes] = inv.args as [string, ...string[]];
    const bad = changes.find((c) => !c.includes('=') && !c.endsWith('-'));
    if (bad) throw usageError(`label: expected key=value or key-, got "${bad}"`, inv.help);
    const remove = changes.filter((c) => !c.includes('=')).map((c) => c.slice(0, -1));
    const set = parseLabels(changes.filter((c) => c.includes('=')), 'label', inv.help);
    const r = await withClient(inv, (c) => c.label(name, { set, remove }));
    if (inv.globals.json) json(inv, r);
    else inv.io.out(`${r.name}: ${Object.entries(r.labels).map(([k, v]) => `${k}=${v}`).join(',') || '(no labels)'}`);
    return 0;
  },
};

const inventory: CommandSpec = {
  name: 'inventory',
  summary: 'The containers Drover or Kamal manages on a host, and kamal-proxy (as its agent last reported)',
  usage: 'NAME',
  args: { min: 1, max: 1 },
  async run(inv) {
    const report = await withClient(inv, (c) => c.inventory(inv.args[0]!));
    if (inv.globals.json) json(inv, report);
    else inv.io.out(formatInventoryTable(report));
    return 0;
  },
};

export const agentsCommand: CommandSpec = {
  name: 'agents',
  summary: 'List, enroll (join tokens), revoke and label agents; show what runs on a host',
  subcommands: [list, joinTokenCommand, revoke, label, inventory],
  defaultSubcommand: 'list',
};
