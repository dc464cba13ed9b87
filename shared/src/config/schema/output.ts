import { kHash, kString, opt } from './kinds.js';

/** `output:` — where Kamal ships command logs. Accepted; Drover records deploy logs itself. */
export const outputSchema = kHash({
  otel: opt(kHash({ endpoint: opt(kString) }).refine((o) => o.endpoint !== undefined, 'OTel endpoint is required')),
  file: opt(kHash({ path: opt(kString) }).refine((f) => f.path !== undefined, 'file path is required')),
});
