import { UserError } from '../../errors.js';
import { ok, parseJson, prefixed, type SecretsAdapter } from './base.js';

/** Doppler (`doppler`); `--from project/config` unless `DOPPLER_TOKEN` is a service token (`dp.st…`). */
export const doppler: SecretsAdapter = {
  requiresAccount: false,
  cli: { program: 'doppler', label: 'Doppler' },
  async fetchSecrets(secrets, { from }, { run, env }) {
    if ((await run('doppler', ['me', '--json'])).status !== 0) {
      ok(await run('doppler', ['login', '-y']), 'Failed to login to Doppler');
    }
    const names = prefixed(secrets, from);
    const args = ['secrets', 'get', ...names.map((s) => s.split('/').pop() ?? s), '--json'];
    if (!(env.DOPPLER_TOKEN ?? '').startsWith('dp.st')) {
      const [project, config] = (names[0] ?? '').split('/');
      if (!project || !config) {
        throw new UserError("Missing project or config from '--from=project/config' option");
      }
      args.push('-p', project, '-c', config);
    }
    const out = parseJson<Record<string, { computed: string }>>(ok(await run('doppler', args), `Could not read ${names.join(', ')} from Doppler`), 'Doppler');
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.computed]));
  },
};
