import { z } from 'zod';
import { nestedEnvSchema } from './env.js';
import { kArray, kHash, kLabels, kString, kUnion, opt } from './kinds.js';
import { accessoryProxySchema } from './proxy.js';
import { registrySchema } from './registry.js';
import { dockerOptionsSchema } from './servers.js';

/** `files`/`directories` entries: `"local:remote[:opts]"` or the hash form. */
const mountSchema = kUnion(
  [
    kString,
    kHash({ local: kString, remote: kString, mode: opt(kString), owner: opt(kString), options: opt(kString) }),
  ],
  'should be a string or a hash',
);

const HOST_SELECTORS = ['host', 'hosts', 'role', 'roles', 'tag', 'tags'] as const;

export const accessorySchema = kHash({
  service: opt(kString),
  image: opt(kString),
  registry: opt(registrySchema),
  host: opt(kString),
  hosts: opt(kArray(kString)),
  role: opt(kString),
  roles: opt(kArray(kString)),
  tag: opt(kString),
  tags: opt(kArray(kString)),
  cmd: opt(kString),
  port: opt(kString),
  labels: opt(kLabels),
  options: opt(dockerOptionsSchema),
  env: opt(nestedEnvSchema),
  files: opt(kArray(mountSchema)),
  directories: opt(kArray(mountSchema)),
  volumes: opt(kArray(kString)),
  network: opt(kString),
  proxy: opt(accessoryProxySchema),
}).superRefine((a, ctx) => {
  const given = HOST_SELECTORS.filter((k) => a[k] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({ code: 'custom', message: 'specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`' });
  }
});
export type AccessoryConfig = z.infer<typeof accessorySchema>;
export type MountEntry = z.infer<typeof mountSchema>;

export const accessoriesSchema = z.record(accessorySchema, { errorMap: () => ({ message: 'should be a hash' }) });
