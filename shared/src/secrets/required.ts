import type { ResolvedConfig } from '../config/types.js';
import type { SecretStore } from './store.js';

/**
 * Every secret name the configuration reads: env secrets of roles (all host tags) and
 * accessories, registry credentials given as `[NAME]`, builder secrets, custom TLS certificates.
 */
export function requiredSecretNames(config: ResolvedConfig): string[] {
  const names: string[] = [];
  for (const role of config.roles) {
    for (const env of Object.values(role.envByHost)) names.push(...env.secrets.map((s) => s.secret));
    names.push(...role.env.secrets.map((s) => s.secret));
    if (role.proxy?.customCertificates) names.push(role.proxy.customCertificates.certificatePem, role.proxy.customCertificates.privateKeyPem);
  }
  for (const acc of config.accessories) {
    names.push(...acc.env.secrets.map((s) => s.secret));
    if (acc.proxy?.customCertificates) names.push(acc.proxy.customCertificates.certificatePem, acc.proxy.customCertificates.privateKeyPem);
    for (const c of [acc.registry?.username, acc.registry?.password]) if (c && 'secret' in c) names.push(c.secret);
  }
  for (const c of [config.registry.username, config.registry.password]) if (c && 'secret' in c) names.push(c.secret);
  names.push(...(config.builder?.secrets ?? []));
  return [...new Set(names)];
}

/** Fails with Kamal's "Secret 'X' not found in …" for every name the config needs but the files lack. */
export function checkRequiredSecrets(config: ResolvedConfig, store: SecretStore): void {
  store.requireAll(requiredSecretNames(config));
}
