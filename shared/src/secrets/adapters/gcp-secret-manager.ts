import { UserError } from '../../errors.js';
import { ok, parseJson, prefixed, type SecretsAdapter } from './base.js';

/**
 * Google Secret Manager (`gcloud`). Account: `user[|sa1,sa2]` or `default`. Names:
 * `[project/]name[/version]` (project `default` = gcloud's configured project).
 */
export const gcpSecretManager: SecretsAdapter = {
  requiresAccount: true,
  cli: { program: 'gcloud', label: 'gcloud' },
  async fetchSecrets(secrets, { account, from }, { run }) {
    const loggedIn = async () => {
      const r = await run('gcloud', ['auth', 'list', '--format=json']);
      try {
        const list = JSON.parse(r.stdout) as unknown;
        return r.status === 0 && Array.isArray(list) && list.length > 0;
      } catch {
        return false;
      }
    };
    if (!(await loggedIn())) {
      await run('gcloud', ['auth', 'login']);
      if (!(await loggedIn())) throw new UserError('gcloud is not authenticated, please run `gcloud auth login`');
    }
    const bar = account!.indexOf('|');
    const user = bar === -1 ? account! : account!.slice(0, bar);
    const impersonate = bar === -1 ? undefined : account!.slice(bar + 1);

    const results: Record<string, string> = {};
    for (const secret of prefixed(secrets, from)) {
      const parts = secret.split('/');
      if (parts.length === 1) parts.unshift('default');
      const [project = 'default', name = '', version = 'latest'] = parts;
      const key = project === 'default' ? name : `${project}/${name}`;
      const args = ['secrets', 'versions', 'access', version, `--secret=${name}`];
      if (project !== 'default') args.push(`--project=${project}`);
      if (user !== 'default') args.push(`--account=${user}`);
      if (impersonate) args.push(`--impersonate-service-account=${impersonate}`);
      args.push('--format=json');
      const out = parseJson<{ payload?: { data?: string } }>(ok(await run('gcloud', args), `Could not read ${key} from Google Secret Manager`), 'gcloud');
      results[key] = Buffer.from(out.payload?.data ?? '', 'base64').toString('utf8');
    }
    return results;
  },
};
