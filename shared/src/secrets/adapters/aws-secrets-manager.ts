import { UserError } from '../../errors.js';
import { ok, parseJson, prefixed, type SecretsAdapter } from './base.js';

interface BatchResult { SecretValues?: { Name: string; SecretString: string }[]; Errors?: { SecretId: string; Message: string }[] }

/** AWS Secrets Manager (`aws`); `--account` is the profile. JSON object values expand to `name/key`. */
export const awsSecretsManager: SecretsAdapter = {
  requiresAccount: false,
  cli: { program: 'aws', label: 'AWS' },
  async fetchSecrets(secrets, { account, from }, { run }) {
    const names = prefixed(secrets, from);
    const args = ['secretsmanager', 'batch-get-secret-value', '--secret-id-list', ...names];
    if (account) args.push('--profile', account);
    args.push('--output', 'json');
    const out = parseJson<BatchResult>(ok(await run('aws', args), `Could not read ${names.join(', ')} from AWS Secrets Manager`), 'AWS Secrets Manager');
    if (out.Errors && out.Errors.length > 0) throw new UserError(out.Errors.map((e) => `${e.SecretId}: ${e.Message}`).join(' '));
    const results: Record<string, string> = {};
    for (const secret of out.SecretValues ?? []) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(secret.SecretString);
      } catch {
        parsed = undefined;
      }
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const [k, v] of Object.entries(parsed)) results[`${secret.Name}/${k}`] = String(v);
      } else {
        results[secret.Name] = secret.SecretString;
      }
    }
    return results;
  },
};
