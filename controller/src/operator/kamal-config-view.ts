/**
 * `kamal config`: Kamal 2.12 prints `Kamal::Utils.redacted(config.to_h).to_yaml`. This is that
 * hash (`Configuration#to_h`) computed from a ResolvedConfig, and its YAML as Ruby writes it.
 *
 * `to_h` mixes computed values (roles, hosts, image names, the `--volume` and `--log-opt`
 * arguments, SSH options with their defaults) with sections printed as written in deploy.yml
 * (`sshkit`, `builder`, `accessories`), which come from `config.raw`. Drover has no SSH, but the SSH
 * options are shown as Kamal shows them. A Ruby Symbol is a string starting with `:` (as a
 * `:symbol` in the file is parsed); the YAML prints it as a Symbol.
 *
 * Secret values never appear. Kamal redacts only `Sensitive` values, and none reach `to_h`; but
 * it would print the private keys of `ssh.key_data` (looked up in the secrets) and a registry
 * password written literally under an accessory. Both are shown as `[REDACTED]` here.
 */
import { REDACTED, rubyDump, type ResolvedConfig } from '@drover/shared/config';
import { isSymbolText, rubyFloat, rubyInteger, symbolName } from './psych-scalar.js';
import { RubyObject, rubyYaml } from './ruby-yaml.js';

export { RubyObject } from './ruby-yaml.js';

/** The keys of `Configuration#to_h`, in its order; nil values are left out (`compact`). */
export type KamalConfigView = Record<string, unknown>;

type Hash = Record<string, unknown>;

const isHash = (v: unknown): v is Hash => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
/** Ruby truthiness: everything but nil and false. */
const truthy = (v: unknown) => v !== null && v !== undefined && v !== false;

/** ActiveSupport's `present?`. */
function present(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return false;
  if (typeof v === 'string') return !/^[\s\u0085]*$/u.test(v);
  if (Array.isArray(v)) return v.length > 0;
  if (isHash(v)) return Object.keys(v).length > 0;
  return true;
}

/** Ruby's `to_s` for a configuration value. */
function rubyToS(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return isSymbolText(v) ? symbolName(v) : v;
  if (typeof v === 'number') return Number.isInteger(v) ? rubyInteger(v) : rubyFloat(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** `Kamal::Utils.escape_shell_value`: `String#dump` per ASCII run, backticks and `$` (but not `${…}`) escaped. */
function escapeShellValue(v: unknown): string {
  return (rubyToS(v).match(/[\x00-\x7F]+|[^\x00-\x7F]+/g) ?? [])
    .map((part) => (/^[\x00-\x7F]+$/.test(part) ? rubyDump(part).replace(/`/g, '\\`').replace(/\$(?!\{[^}]*\})/g, '\\$') : part))
    .join('');
}

/** `Kamal::Utils.argumentize(argument, hash)`. */
function argumentize(argument: string, attributes: Hash): string[] {
  return Object.entries(attributes).flatMap(([key, value]) => {
    if (present(value)) return [argument, `${rubyToS(key)}=${escapeShellValue(value)}`];
    if (value === false) return [argument, `${rubyToS(key)}=false`];
    return [argument, key];
  });
}

/** `Configuration#logging_args`: the root `logging` only (roles' logging is not part of `to_h`). */
function loggingArgs(logging: unknown): string[] {
  const config = isHash(logging) ? logging : {};
  const driver = config.driver;
  const options = 'options' in config ? config.options : {};
  if (!present(driver) && !present(options)) return argumentize('--log-opt', { 'max-size': '10m' });
  const args: string[] = [];
  if (driver !== null && driver !== undefined) {
    for (const value of Array.isArray(driver) ? driver : [driver]) {
      args.push('--log-driver');
      if (value !== true) args.push(escapeShellValue(value));
    }
  }
  return [...args, ...(isHash(options) ? argumentize('--log-opt', options) : [])];
}

/** `Configuration::Ssh#to_h`: Kamal's SSH options with their defaults, keys as in `to_h`. */
function sshOptions(ssh: unknown): Hash {
  const config = isHash(ssh) ? ssh : {};
  const fetch = (key: string, fallback: unknown) => (key in config ? config[key] : fallback);
  let proxy: RubyObject | undefined;
  if (truthy(config.proxy)) {
    const host = rubyToS(config.proxy);
    proxy = new RubyObject('Net::SSH::Proxy::Jump', { jump_proxies: host.includes('@') ? host : `root@${host}` });
  } else if (truthy(config.proxy_command)) {
    proxy = new RubyObject('Net::SSH::Proxy::Command', { command_line_template: config.proxy_command, command_line: null, timeout: 60 });
  }
  const keyData = truthy(config.key_data) ? (Array.isArray(config.key_data) ? config.key_data.map(() => REDACTED) : REDACTED) : undefined;
  const options: Hash = {
    user: fetch('user', 'root'),
    port: fetch('port', 22),
    proxy,
    keepalive: true,
    keepalive_interval: 30,
    keys_only: config.keys_only,
    keys: config.keys,
    key_data: keyData,
    config: config.config,
    forward_agent: config.forward_agent,
  };
  return { ...compact(options), log_level: fetch('log_level', ':fatal') };
}

function compact(hash: Hash): Hash {
  return Object.fromEntries(Object.entries(hash).filter(([, v]) => v !== null && v !== undefined));
}

/** `raw_config.accessories` as written, with literal registry passwords redacted. */
function accessoriesAsWritten(accessories: unknown): unknown {
  if (!isHash(accessories)) return accessories;
  return Object.fromEntries(
    Object.entries(accessories).map(([name, accessory]) => {
      if (!isHash(accessory) || !isHash(accessory.registry) || !('password' in accessory.registry)) return [name, accessory];
      const password = accessory.registry.password;
      const shown = password === null || Array.isArray(password) ? password : REDACTED;
      return [name, { ...accessory, registry: { ...accessory.registry, password: shown } }];
    }),
  );
}

/** Ruby's `String#<=>` (bytewise), as `Hash#keys.sort` orders role names. */
function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** What `kamal config` prints, as data: `Kamal::Utils.redacted(Configuration#to_h)`. */
export function kamalConfigView(config: ResolvedConfig): KamalConfigView {
  const raw = config.raw;
  // Kamal sorts role names (`servers.keys.sort`); all_hosts walks the roles in that order, then the accessories.
  const roles = [...config.roles].sort((a, b) => byteCompare(a.name, b.name));
  const hosts = [...new Set([...roles.flatMap((r) => r.hosts.map((h) => h.host)), ...config.accessories.flatMap((a) => a.hosts)])];
  const volumes = Array.isArray(raw.volumes) ? raw.volumes : [];
  return compact({
    roles: roles.map((r) => r.name),
    hosts,
    primary_host: config.primaryHost,
    version: config.version,
    repository: config.image.repository,
    absolute_image: config.image.ref,
    service_with_version: `${config.service}-${config.version}`,
    volume_args: volumes.flatMap((v) => ['--volume', v]),
    ssh_options: sshOptions(raw.ssh),
    sshkit: truthy(raw.sshkit) ? raw.sshkit : {},
    builder: truthy(raw.builder) ? raw.builder : {},
    accessories: accessoriesAsWritten(raw.accessories),
    logging: loggingArgs(raw.logging),
  });
}

/** The view's YAML exactly as `kamal config` prints it: Ruby's `to_yaml` of a hash keyed by Symbols. */
export function kamalConfigYaml(view: KamalConfigView): string {
  const symbolKeys = (hash: Hash) => Object.fromEntries(Object.entries(hash).map(([k, v]) => [`:${k}`, v]));
  const top = Object.fromEntries(Object.entries(view).map(([k, v]) => [k, k === 'ssh_options' && isHash(v) ? symbolKeys(v) : v]));
  return rubyYaml(symbolKeys(top));
}
