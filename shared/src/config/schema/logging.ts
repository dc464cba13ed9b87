import { z } from 'zod';
import { kHash, kString, kStringHash, opt } from './kinds.js';

/** `logging` (root and per role): Docker log driver and options. */
export const loggingSchema = kHash({
  driver: opt(kString),
  options: opt(kStringHash),
});
export type LoggingConfig = z.infer<typeof loggingSchema>;
