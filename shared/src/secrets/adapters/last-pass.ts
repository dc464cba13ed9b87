import { UserError } from '../../errors.js';
import { ok, parseJson, prefixed, type SecretsAdapter } from './base.js';

/** LastPass (`lpass`); keys are each entry's `fullname`. */
export const lastPass: SecretsAdapter = {
  requiresAccount: true,
  cli: { program: 'lpass', label: 'LastPass' },
  async fetchSecrets(secrets, { account, from }, { run }) {
    const status = await run('lpass', ['status', '--color', 'never']);
    if (status.stdout.trim() !== `Logged in as ${account}.`) {
      ok(await run('lpass', ['login', account!]), 'Failed to login to LastPass');
    }
    const names = prefixed(secrets, from);
    const out = ok(await run('lpass', ['show', ...names, '--json']), `Could not read ${names.join(', ')} from LastPass`);
    const results: Record<string, string> = {};
    for (const item of parseJson<{ fullname: string; password: string }[]>(out, 'LastPass')) results[item.fullname] = item.password;
    const missing = names.filter((n) => !(n in results));
    // (sic) Kamal's message spells it "LassPass".
    if (missing.length > 0) throw new UserError(`Could not find ${missing.join(', ')} in LassPass`);
    return results;
  },
};
