import { z } from 'zod';
import { kAnyHash, kArray, kBoolean, kHash, kString, kUnion, opt } from './kinds.js';

/** `builder:` — accepted and validated like Kamal; Drover's controller does not build images itself. */
export const builderSchema = kHash({
  arch: opt(kUnion([kString, kArray(kString)], 'should be an array or a string')),
  remote: opt(kString),
  local: opt(kBoolean),
  pack: opt(kHash({ builder: opt(kString), buildpacks: opt(kArray(kString)) })),
  cache: opt(kHash({ type: opt(kString), options: opt(kString), image: opt(kString) })),
  context: opt(kString),
  dockerfile: opt(kString),
  target: opt(kString),
  args: opt(kAnyHash),
  secrets: opt(kArray(kString)),
  ssh: opt(kString),
  driver: opt(kString),
  provenance: opt(kString),
  sbom: opt(kBoolean),
}).superRefine((b, ctx) => {
  const arches = b.arch === undefined ? [] : Array.isArray(b.arch) ? b.arch : [b.arch];
  if (arches.length === 0) ctx.addIssue({ code: 'custom', message: 'Builder arch not set' });
  if (b.pack !== undefined && arches.length > 1) ctx.addIssue({ code: 'custom', message: 'buildpacks only support building for one arch' });
  if (b.local === false && b.remote === undefined) ctx.addIssue({ code: 'custom', message: 'Cannot disable local builds, no remote is set' });
  if (b.cache?.type !== undefined && !['gha', 'registry'].includes(b.cache.type)) {
    ctx.addIssue({ code: 'custom', message: `Invalid cache type: ${b.cache.type}` });
  }
});
export type BuilderConfig = z.infer<typeof builderSchema>;
