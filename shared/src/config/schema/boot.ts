import { z } from 'zod';
import { kBoolean, kHash, kInteger, kUnion, opt } from './kinds.js';

/** `boot:` — how many hosts boot at once, and the pause between groups. */
export const bootSchema = kHash({
  limit: opt(kUnion([kInteger, z.string().regex(/^\d+%$/)], 'should be an integer or a percentage')),
  wait: opt(kInteger),
  parallel_roles: opt(kBoolean),
});
export type BootConfig = z.infer<typeof bootSchema>;
