import { z } from 'zod';

/**
 * Building blocks that reproduce Kamal's example-driven validator: every schema carries the
 * message Kamal prints (`should be a string`, `unknown key: x`, …) so a zod issue can be shown
 * as `<path>: <message>` without translation tables.
 */

const says = (message: string) => ({ errorMap: () => ({ message }) });

/** Kamal accepts numbers, booleans and symbols where its example has a String. */
export const kString = z
  .union([z.string(), z.number(), z.boolean()], says('should be a string'))
  .transform((v) => String(v));

export const kInteger = z.number(says('should be an integer')).int();

export const kBoolean = z.boolean(says('should be a boolean'));

export const kArray = <T extends z.ZodTypeAny>(item: T) => z.array(item, says('should be an array'));

/** A hash whose values are not checked (`options`, `args`). */
export const kAnyHash = z.record(z.unknown(), says('should be a hash'));

/** A hash of strings (labels, simple env, build args are looser). */
export const kStringHash = z.record(kString, says('should be a hash'));

/** A strict hash: unknown keys are reported the way Kamal does. */
export function kHash<T extends z.ZodRawShape>(shape: T) {
  return z
    .object(shape, {
      errorMap: (issue, ctx) => {
        if (issue.code === 'unrecognized_keys') {
          const keys = issue.keys;
          return { message: `${keys.length === 1 ? 'unknown key' : 'unknown keys'}: ${keys.join(', ')}` };
        }
        if (issue.code === 'invalid_type') return { message: 'should be a hash' };
        return { message: ctx.defaultError };
      },
    })
    .strict();
}

/** `string` or `[string]`-style unions with Kamal's combined wording. */
export const kStringOrArray = z.union([kString, kArray(kString)], says('should be a string or an array'));

/** A custom union message, for the few places where Kamal words it specially. */
export function kUnion<T extends readonly [z.ZodTypeAny, z.ZodTypeAny, ...z.ZodTypeAny[]]>(options: T, message: string) {
  return z.union(options, says(message));
}

/** YAML `key:` with nothing after it loads as null; Kamal then treats the key as unset. */
export const opt = <T extends z.ZodTypeAny>(schema: T) =>
  schema.nullish().transform((v) => (v === null ? undefined : v)) as unknown as z.ZodOptional<T>;

export const RESERVED_LABELS = ['service', 'role', 'destination'] as const;

/** Role and accessory labels: strings, without Kamal's reserved names. */
export const kLabels = kStringHash.superRefine((labels, ctx) => {
  for (const key of Object.keys(labels)) {
    if ((RESERVED_LABELS as readonly string[]).includes(key)) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'invalid label. destination, role, and service are reserved labels' });
    }
  }
});
