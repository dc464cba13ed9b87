import type { z } from 'zod';

/** Outcome of decoding one frame: the message, or a short reason safe to send back to the peer. */
export type Decoded<T> = { ok: true; msg: T } | { ok: false; code: 'bad_json' | 'bad_frame' | 'unknown_type' | 'schema'; message: string };

/**
 * Parses one text frame against `schema`. Never throws: peers send arbitrary
 * bytes and a bad frame must only ever produce an error reply or a close.
 */
export function decodeFrame<T>(raw: unknown, schema: z.ZodType<T, z.ZodTypeDef, unknown>, knownTypes?: ReadonlySet<string>): Decoded<T> {
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (Buffer.isBuffer(raw)) text = raw.toString('utf8');
  else return { ok: false, code: 'bad_frame', message: 'expected one text frame' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'bad_json', message: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'bad_frame', message: 'frame must be a JSON object' };
  }
  const t = (value as { t?: unknown }).t;
  if (knownTypes && (typeof t !== 'string' || !knownTypes.has(t))) {
    return { ok: false, code: 'unknown_type', message: `unknown message type ${JSON.stringify(t)?.slice(0, 40) ?? 'undefined'}` };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    return { ok: false, code: 'schema', message: `invalid ${String(t)} message at ${where}: ${issue?.message ?? 'schema violation'}`.slice(0, 300) };
  }
  return { ok: true, msg: parsed.data };
}

/** Message types a session accepts after authentication. */
export const SESSION_TYPES: ReadonlySet<string> = new Set(['req', 'res', 'cancel', 'data', 'credit', 'eof', 'ctl', 'inventory', 'event', 'error']);
