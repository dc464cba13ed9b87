import { UserError } from '../../errors.js';
import { ok, parseJson, prefixed, type SecretsAdapter } from './base.js';

interface OpField { reference: string; value: string }

const keyOf = (reference: string) => reference.replace(/^op:\/\//, '').replace(/\/password$/, '');

/** 1Password (`op`). Names are `[op://]vault/item[/field]`; the default field is `password`. */
export const onePassword: SecretsAdapter = {
  requiresAccount: true,
  cli: { program: 'op', label: '1Password' },
  async fetchSecrets(secrets, { account, from }, { run }) {
    const acct = account!;
    let session = '';
    if ((await run('op', ['account', 'get', '--account', acct])).status !== 0) {
      session = ok(await run('op', ['signin', '--account', acct, '--force', '--raw']), 'Failed to login to 1Password').trim();
    }
    const itemGet = async (vault: string, item: string, fields: string[]) => {
      const args = ['item', 'get', item, '--vault', vault, '--format', 'json', '--account', acct];
      if (session) args.push('--session', session);
      if (fields.length > 0) args.push('--fields', fields.map((f) => `label=${f}`).join(','));
      return ok(await run('op', args), `Could not read from ${item} in the ${vault} 1Password vault`);
    };
    const results: Record<string, string> = {};
    if (secrets.length === 0) {
      if (!from) throw new UserError('Missing --from (vault/item) to fetch every field of');
      const [vault = '', item = ''] = from.replace(/^op:\/\//, '').split('/');
      const json = parseJson<{ fields?: OpField[] }>(await itemGet(vault, item, []), '1Password');
      for (const f of json.fields ?? []) results[keyOf(f.reference)] = f.value;
      return results;
    }
    const byVault = new Map<string, Map<string, string[]>>();
    for (const secret of prefixed(secrets, from)) {
      const [vault = '', item = '', ...fields] = secret.replace(/^op:\/\//, '').split('/');
      if (fields.length === 0) fields.push('password');
      const items = byVault.get(vault) ?? new Map<string, string[]>();
      items.set(item, [...(items.get(item) ?? []), fields.join('.')]);
      byVault.set(vault, items);
    }
    for (const [vault, items] of byVault) {
      for (const [item, fields] of items) {
        let json = parseJson<OpField | OpField[]>(await itemGet(vault, item, fields), '1Password');
        if (!Array.isArray(json)) json = [json];
        for (const f of json) results[keyOf(f.reference)] = f.value;
      }
    }
    return results;
  },
};
