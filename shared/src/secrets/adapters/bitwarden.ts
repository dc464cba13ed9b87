import { UserError } from '../../errors.js';
import { ok, parseJson, prefixed, type SecretsAdapter } from './base.js';

interface BwItem { login?: { password?: string }; fields?: { name: string; value: string }[] }

/** Bitwarden (`bw`), account = email. Names are `item` (login password) or `item/field`. */
export const bitwarden: SecretsAdapter = {
  requiresAccount: true,
  cli: { program: 'bw', label: 'Bitwarden' },
  async fetchSecrets(secrets, { account, from }, { run }) {
    const bw = (args: string[], session?: string) => run('bw', args, session ? { env: { BW_SESSION: session } } : {});
    const status = async (session?: string) => parseJson<{ status?: string }>((await bw(['status'], session)).stdout.trim(), 'Bitwarden').status;
    let state = await status();
    if (state === 'unauthenticated') {
      await bw(['login', account!]);
      state = await status();
    }
    let session: string | undefined;
    if (state === 'locked') {
      session = (await bw(['unlock', '--raw'])).stdout.trim() || undefined;
      state = await status(session);
    }
    if (state !== 'unlocked') throw new UserError('Failed to login to and unlock Bitwarden');
    ok(await bw(['sync'], session), 'Failed to sync Bitwarden');

    const items = new Map<string, string[]>();
    for (const secret of prefixed(secrets, from)) {
      const [item = '', field] = secret.split('/');
      items.set(item, [...(items.get(item) ?? []), ...(field ? [field] : [])]);
    }
    const results: Record<string, string> = {};
    const fromFields = (item: string, json: BwItem, fields: string[]) => {
      for (const field of fields) {
        const found = json.fields?.find((f) => f.name === field);
        if (!found) throw new UserError(`Could not find field ${field} in item ${item} in Bitwarden`);
        results[`${item}/${field}`] = found.value;
      }
    };
    for (const [item, fields] of items) {
      const json = parseJson<BwItem>(ok(await bw(['get', 'item', item], session), `Could not read ${item} from Bitwarden`).trim(), 'Bitwarden');
      if (fields.length > 0) fromFields(item, json, fields);
      else if (json.login?.password !== undefined) results[item] = json.login.password;
      else if (json.fields && json.fields.length > 0) fromFields(item, json, json.fields.map((f) => f.name));
      else throw new UserError(`Item ${item} is not a login type item and no fields were specified`);
    }
    return results;
  },
};
