import { UserError } from '@drover/shared';
import { parseDuration } from '../args/values.js';
import { usageError } from '../framework/errors.js';
import type { CommandSpec, Invocation, OptionSpec } from '../framework/spec.js';
import { table } from '../table.js';
import { ago, when } from '../time-format.js';
import type { SqliteStore } from '../../store/sqlite-store.js';
import { OPERATOR_SCOPES, type OperatorScope } from '../../store/store.js';
import type { OperatorTokenRevoked, OperatorTokenView } from '../../server/tokens-api.js';
import { withClient } from '../with-client.js';

const isScope = (v: unknown): v is OperatorScope => OPERATOR_SCOPES.includes(v as OperatorScope);

export const DATA_DIR: OptionSpec = { type: 'string', value: 'DIR', description: 'Controller state (default: $DROVER_DATA_DIR, else /var/lib/drover)' };
const LOCAL_DATA_DIR: OptionSpec = { type: 'string', value: 'DIR', description: 'Work on the controller state in DIR directly (on the controller host) instead of through the API' };

export function dataDirOf(inv: Invocation): string {
  const v = inv.options['data-dir'];
  return typeof v === 'string' ? v : inv.io.env.DROVER_DATA_DIR ?? '/var/lib/drover';
}

/** Runs `fn` on the controller's store in the data dir (on the controller host, with the controller running or not). */
async function withLocalStore<T>(dataDir: string, fn: (store: SqliteStore) => T | Promise<T>): Promise<T> {
  const { SqliteStore } = await import('../../store/sqlite-store.js');
  let store: SqliteStore;
  try {
    store = new SqliteStore(dataDir);
  } catch (err) {
    throw new UserError(`cannot open controller state in ${dataDir}: ${(err as Error).message}`);
  }
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

export function formatOperatorTokenTable(tokens: OperatorTokenView[], now = Date.now()): string {
  const rows = [['ID', 'NAME', 'SCOPE', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED']];
  for (const t of tokens) rows.push([t.id, t.name, t.scope, t.status, when(t.createdAt), when(t.expiresAt, 'never'), ago(t.lastUsedAt, now)]);
  return table(rows);
}

async function tokenCreate(inv: Invocation): Promise<number> {
  const scope = inv.options.scope;
  if (!isScope(scope)) throw usageError(`--scope must be one of ${OPERATOR_SCOPES.join(', ')}`, inv.help);
  const expires = typeof inv.options.expires === 'string' ? parseDuration(inv.options.expires, '--expires', inv.help) : null;
  if (expires !== null && expires < 60) throw usageError('--expires must be at least 1m', inv.help);
  const name = typeof inv.options.name === 'string' ? inv.options.name : `${scope}-token`;
  const dataDir = dataDirOf(inv);
  const { createOperatorToken } = await import('../../auth/operator-token.js');
  const { operatorFingerprint } = await import('../../auth/controller-identity.js');
  // First: on a fresh data dir this makes the identity (under the data-dir lock), and a failure mints nothing.
  const fingerprint = operatorFingerprint(dataDir);
  const { secret, record } = await withLocalStore(dataDir, (store) => createOperatorToken(store, { scope, name, ttlSeconds: expires }));
  if (inv.globals.json) {
    inv.io.out(JSON.stringify({ id: record.id, name: record.name, scope, token: secret, fingerprint, expiresAt: record.expiresAt }));
    return 0;
  }
  inv.io.out(secret);
  const until = record.expiresAt === null ? 'it does not expire' : `it expires ${when(record.expiresAt)}`;
  inv.io.err(`operator token "${record.name}" (id ${record.id}, scope ${scope}) created; ${until}. It is shown only once.`);
  const pin = fingerprint === null ? '' : ` --fingerprint ${fingerprint}`;
  inv.io.err(`log in with: drover login https://CONTROLLER:7443${pin} --token <token>`);
  return 0;
}

async function tokenList(inv: Invocation): Promise<number> {
  const all = inv.options.all === true;
  const local = typeof inv.options['data-dir'] === 'string';
  const tokens = local
    ? await withLocalStore(dataDirOf(inv), async (store) => {
      const { operatorTokenView } = await import('../../server/routes-tokens.js');
      const now = Date.now();
      return store.listOperatorTokens().map((t) => operatorTokenView(t, now)).filter((t) => all || t.status === 'active');
    })
    : await withClient(inv, (c) => c.listOperatorTokens({ all }));
  if (inv.globals.json) inv.io.out(JSON.stringify({ tokens }, null, 2));
  else inv.io.out(tokens.length ? formatOperatorTokenTable(tokens) : `no ${all ? '' : 'active '}operator tokens`);
  return 0;
}

async function revokeLocally(dataDir: string, idOrName: string): Promise<OperatorTokenRevoked> {
  return withLocalStore(dataDir, async (store) => {
    const { findOperatorToken, operatorTokenView } = await import('../../server/routes-tokens.js');
    const lookup = findOperatorToken(store.listOperatorTokens(), idOrName);
    if (!('found' in lookup)) throw new UserError(lookup.message);
    const now = Date.now();
    store.revokeOperatorToken(lookup.found.id, now);
    return { token: operatorTokenView({ ...lookup.found, revokedAt: now }, now), self: false };
  });
}

async function tokenRevoke(inv: Invocation): Promise<number> {
  const idOrName = inv.args[0]!;
  const r = typeof inv.options['data-dir'] === 'string'
    ? await revokeLocally(dataDirOf(inv), idOrName)
    : await withClient(inv, (c) => c.revokeOperatorToken(idOrName));
  if (inv.globals.json) inv.io.out(JSON.stringify(r, null, 2));
  else inv.io.out(`revoked operator token "${r.token.name}" (id ${r.token.id}, scope ${r.token.scope})`);
  if (r.self && !inv.globals.json) inv.io.err('that was the token this command used: this login no longer works; log in with another token (`drover login`)');
  return 0;
}

export const operatorTokenCommand: CommandSpec = {
  name: 'token',
  summary: 'Operator API tokens: create (on the controller host), list, revoke',
  kamalGlobals: false,
  subcommands: [
    {
      name: 'create',
      summary: 'Mint an operator API token (shown once) in the controller state on this host',
      kamalGlobals: false,
      options: {
        scope: { type: 'string', value: 'SCOPE', description: 'admin, deploy, read or metrics (required; metrics only reads /metrics)' },
        name: { type: 'string', value: 'NAME', description: 'A name to recognise it by' },
        expires: { type: 'string', value: 'DURATION', description: 'Expire after this long, e.g. 12h or 30d (default: never)' },
        'data-dir': DATA_DIR,
      },
      run: tokenCreate,
    },
    {
      name: 'list',
      summary: 'The operator tokens that work (--all: revoked and expired ones too); never their values',
      kamalGlobals: false,
      options: { all: { type: 'boolean', description: 'Include revoked and expired tokens' }, 'data-dir': LOCAL_DATA_DIR },
      run: tokenList,
    },
    {
      name: 'revoke',
      summary: 'Revoke an operator token by id (or by name when one token has it); it stops working at once',
      usage: 'ID|NAME',
      args: { min: 1, max: 1 },
      kamalGlobals: false,
      options: { 'data-dir': LOCAL_DATA_DIR },
      run: tokenRevoke,
    },
  ],
};
