import { kArray, kBoolean, kHash, kInteger, kString, kUnion, opt } from './kinds.js';

/**
 * `ssh:` and `sshkit:` are accepted so existing Kamal files load unchanged, and validated so typos
 * still surface; Drover never opens SSH connections, so their values are unused.
 */
export const sshSchema = kHash({
  user: opt(kString),
  port: opt(kUnion([kInteger, kString], 'should be an integer or a string')),
  proxy: opt(kString),
  proxy_command: opt(kString),
  log_level: opt(kString),
  keys_only: opt(kBoolean),
  keys: opt(kArray(kString)),
  key_data: opt(kArray(kString)),
  config: opt(kUnion([kBoolean, kString, kArray(kString)], 'should be a boolean or a string or an array')),
  forward_agent: opt(kBoolean),
});

export const sshkitSchema = kHash({
  max_concurrent_starts: opt(kInteger),
  pool_idle_timeout: opt(kInteger),
  dns_retries: opt(kInteger),
});
