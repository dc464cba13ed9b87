import { UserError } from '../../errors.js';
import { awsSecretsManager } from './aws-secrets-manager.js';
import type { SecretsAdapter } from './base.js';
import { bitwarden } from './bitwarden.js';
import { bitwardenSecretsManager } from './bitwarden-secrets-manager.js';
import { doppler } from './doppler.js';
import { enpass } from './enpass.js';
import { gcpSecretManager } from './gcp-secret-manager.js';
import { lastPass } from './last-pass.js';
import { onePassword } from './one-password.js';
import { passbolt } from './passbolt.js';
import { testAdapter } from './test-adapter.js';

const ADAPTERS: Record<string, SecretsAdapter> = {
  one_password: onePassword,
  bitwarden,
  bitwarden_secrets_manager: bitwardenSecretsManager,
  last_pass: lastPass,
  aws_secrets_manager: awsSecretsManager,
  gcp_secret_manager: gcpSecretManager,
  doppler,
  enpass,
  passbolt,
  test: testAdapter,
};

const ALIASES: Record<string, string> = {
  '1password': 'one_password',
  lastpass: 'last_pass',
  gcp: 'gcp_secret_manager',
  'bitwarden-sm': 'bitwarden_secrets_manager',
};

/** Kamal's adapter lookup: the four aliases, then the snake_case name. */
export function lookupAdapter(name: string): SecretsAdapter {
  const key = ALIASES[name.toLowerCase()] ?? name.replace(/-/g, '_').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  const adapter = ADAPTERS[key];
  if (!adapter) throw new UserError(`Unknown secrets adapter: ${name}`);
  return adapter;
}

export const ADAPTER_NAMES = Object.keys(ADAPTERS).filter((n) => n !== 'test');
