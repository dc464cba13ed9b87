/**
 * `drover docs [SECTION]`: Kamal's `kamal docs`, with Drover's own text. Each section is an
 * annotated deploy.yml excerpt (valid YAML, accepted by Drover's validator) whose comments say
 * what each key does and where Drover differs from Kamal.
 *
 * Like Kamal, no section prints the root page (`configuration`), and a section name is matched
 * regardless of case. Kamal answers an unknown one with `No documentation found for <section>`
 * (on stdout, exit 0); here it is a UserError with that message. (Kamal also prints that for
 * `configuration` itself, a quirk of its constant lookup; Drover shows the root page.)
 */
import { UserError } from '@drover/shared';
import { ACCESSORY_DOC } from './config-docs/accessory.js';
import { BUILDER_DOC, REGISTRY_DOC } from './config-docs/build.js';
import { CONFIGURATION_DOC } from './config-docs/configuration.js';
import { ALIAS_DOC, BOOT_DOC, LOGGING_DOC, OUTPUT_DOC, SSH_DOC, SSHKIT_DOC } from './config-docs/other.js';
import { PROXY_DOC } from './config-docs/proxy.js';
import { ENV_DOC, ROLE_DOC, SERVERS_DOC } from './config-docs/servers.js';

/** The sections in Kamal's order (its `docs/*.yml` files), each ending with a newline. */
export const CONFIG_DOC_SECTIONS: Readonly<Record<string, string>> = Object.freeze({
  accessory: ACCESSORY_DOC,
  alias: ALIAS_DOC,
  boot: BOOT_DOC,
  builder: BUILDER_DOC,
  configuration: CONFIGURATION_DOC,
  env: ENV_DOC,
  logging: LOGGING_DOC,
  output: OUTPUT_DOC,
  proxy: PROXY_DOC,
  registry: REGISTRY_DOC,
  role: ROLE_DOC,
  servers: SERVERS_DOC,
  ssh: SSH_DOC,
  sshkit: SSHKIT_DOC,
});

/** What `kamal docs` prints without a section. */
export const DEFAULT_DOC_SECTION = 'configuration';

/** The documentation text for a section (the root page without one); a UserError for an unknown section. */
export function configDocs(section?: string): string {
  if (section === undefined) return CONFIG_DOC_SECTIONS[DEFAULT_DOC_SECTION]!;
  const key = section.toLowerCase();
  const doc = Object.hasOwn(CONFIG_DOC_SECTIONS, key) ? CONFIG_DOC_SECTIONS[key] : undefined;
  if (doc === undefined) throw new UserError(`No documentation found for ${section}`);
  return doc;
}
