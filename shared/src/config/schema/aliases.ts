import { z } from 'zod';
import { kString } from './kinds.js';

/** Kamal's top-level commands: an alias may not shadow one. */
const BUILT_IN_COMMANDS = [
  'accessory', 'app', 'audit', 'build', 'config', 'deploy', 'details', 'docs', 'help', 'init', 'lock', 'proxy',
  'prune', 'redeploy', 'registry', 'remove', 'rollback', 'secrets', 'server', 'setup', 'upgrade', 'version',
];

export const aliasesSchema = z.record(kString, { errorMap: () => ({ message: 'should be a hash' }) }).superRefine((aliases, ctx) => {
  for (const name of Object.keys(aliases)) {
    if (!/^[a-z0-9_-]+$/.test(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `Invalid alias name: '${name}'. Must only contain lowercase letters, alphanumeric, hyphens and underscores.`,
      });
    } else if (BUILT_IN_COMMANDS.includes(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: `Alias '${name}' conflicts with a built-in command.` });
    }
  }
});
