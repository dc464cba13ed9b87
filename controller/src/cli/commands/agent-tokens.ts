import { parseDuration, parseLabels } from '../args/values.js';
import { usageError } from '../framework/errors.js';
import type { CommandSpec, Invocation } from '../framework/spec.js';
import { table } from '../table.js';
import { when } from '../time-format.js';
import type { JoinTokenView } from '../../server/tokens-api.js';
import { withClient } from '../with-client.js';

const json = (inv: Invocation, value: unknown): void => inv.io.out(JSON.stringify(value, null, 2));

export function formatJoinTokenTable(tokens: JoinTokenView[]): string {
  const rows = [['ID', 'NAME', 'LABELS', 'KIND', 'USES', 'STATUS', 'CREATED', 'EXPIRES']];
  for (const t of tokens) {
    rows.push([
      t.id, t.name ?? '(any)', Object.entries(t.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-',
      t.reusable ? 'reusable' : 'single use', String(t.uses), t.status, when(t.createdAt), when(t.expiresAt),
    ]);
  }
  return table(rows);
}

const create: CommandSpec = {
  name: 'create',
  summary: 'Mint a join token for `drover-agent enroll` (single use unless --reusable); the default',
  options: {
    name: { type: 'string', value: 'NAME', description: 'The agent name the token enrolls (default: any, the host chooses)' },
    labels: { type: 'string', multiple: true, value: 'k=v,...', description: 'Labels the agent gets' },
    ttl: { type: 'string', value: 'DURATION', description: 'How long the token is valid: 1m to 7d (default 1h)' },
    reusable: { type: 'boolean', description: 'Allow several enrollments (for images and autoscaling)' },
  },
  async run(inv) {
    const o = inv.options;
    const ttlSeconds = parseDuration(typeof o.ttl === 'string' ? o.ttl : '1h', '--ttl', inv.help);
    if (ttlSeconds < 60 || ttlSeconds > 7 * 86400) throw usageError('--ttl must be between 1m and 7d', inv.help);
    const labels = parseLabels((o.labels as string[] | undefined) ?? [], '--labels', inv.help);
    const name = typeof o.name === 'string' ? o.name : undefined;
    const reusable = o.reusable === true;
    const minted = await withClient(inv, (c) => c.mintJoinToken({ name, labels, ttlSeconds, reusable }));
    if (inv.globals.json) return (json(inv, minted), 0);
    inv.io.out(minted.token);
    inv.io.err(`join token ${minted.id} for ${name ?? 'any name'}, ${reusable ? 'reusable' : 'single use'}, expires ${new Date(minted.expiresAt).toISOString()}`);
    inv.io.err(`install on the server with (the token goes through stdin: no process list, no disk):\n  ${minted.installCommand}\nor, with drover-agent already installed:\n  DROVER_JOIN_TOKEN=<token> drover-agent enroll`);
    inv.io.err(`revoke it before then with: drover agents token revoke ${minted.id}`);
    return 0;
  },
};

const list: CommandSpec = {
  name: 'list',
  summary: 'The join tokens that can still enroll (--all: used, expired and revoked ones too); never their values',
  options: { all: { type: 'boolean', description: 'Include used, expired and revoked tokens' } },
  async run(inv) {
    const tokens = await withClient(inv, (c) => c.listJoinTokens({ all: inv.options.all === true }));
    if (inv.globals.json) json(inv, { tokens });
    else inv.io.out(tokens.length ? formatJoinTokenTable(tokens) : 'no join tokens can enroll an agent now; mint one with `drover agents token`');
    return 0;
  },
};

const revoke: CommandSpec = {
  name: 'revoke',
  summary: 'Make a join token unusable before it expires (agents it enrolled stay enrolled)',
  usage: 'ID',
  args: { min: 1, max: 1 },
  async run(inv) {
    const token = await withClient(inv, (c) => c.revokeJoinToken(inv.args[0]!));
    if (inv.globals.json) json(inv, { token });
    else inv.io.out(`revoked join token ${token.id}${token.uses ? ` (it enrolled ${token.uses} agent${token.uses === 1 ? '' : 's'}; revoke them with \`drover agents revoke NAME\` if needed)` : ''}`);
    return 0;
  },
};

/** `drover agents token [create]|list|revoke`: plain `drover agents token …` mints, as it always has. */
export const joinTokenCommand: CommandSpec = {
  name: 'token',
  summary: 'Join tokens for `drover-agent enroll`: mint one (the default), list them, revoke one',
  subcommands: [create, list, revoke],
  defaultSubcommand: 'create',
};
