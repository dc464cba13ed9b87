import { UserError } from '../../errors.js';
import { ok, parseJson, prefixed, type SecretsAdapter } from './base.js';

interface BwsSecret { key: string; value: string }

/** Bitwarden Secrets Manager (`bws`): secret UUIDs, `all`, or `<project>/all`. */
export const bitwardenSecretsManager: SecretsAdapter = {
  requiresAccount: false,
  cli: { program: 'bws', label: 'Bitwarden Secrets Manager' },
  async fetchSecrets(secrets, { from }, { run }) {
    if (secrets.length === 0) throw new UserError('You must specify what to retrieve from Bitwarden Secrets Manager');
    ok(await run('bws', ['project', 'list']), 'Could not authenticate to Bitwarden Secrets Manager. Did you set a valid access token?');
    const names = prefixed(secrets, from);
    const results: Record<string, string> = {};
    const only = names.length === 1 ? names[0]! : undefined;
    if (only === 'all' || only?.endsWith('/all')) {
      const args = only === 'all' ? ['secret', 'list'] : ['secret', 'list', only.slice(0, -'/all'.length)];
      const list = parseJson<BwsSecret[]>(ok(await run('bws', args), 'Could not read secrets from Bitwarden Secrets Manager'), 'Bitwarden Secrets Manager');
      for (const s of list) results[s.key] = s.value;
      return results;
    }
    for (const uuid of names) {
      const s = parseJson<BwsSecret>(ok(await run('bws', ['secret', 'get', uuid]), `Could not read ${uuid} from Bitwarden Secrets Manager`), 'Bitwarden Secrets Manager');
      results[s.key] = s.value;
    }
    return results;
  },
};
