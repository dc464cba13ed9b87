import { appendFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isoTime } from '@drover/shared/utc-time';
import { hostPaths, serviceAndDestination } from './names.js';

export interface AuditTags {
  service: string;
  destination: string | null;
  performer: string;
  role?: string | null;
}

/** Kamal's `Time.now.utc.iso8601`: second precision, `Z`. */
export function recordedAt(now = new Date()): string {
  return isoTime(now).replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Control characters as visible escapes (`\n`, `\x1b`): a line holds one record, so a value with a
 * newline cannot forge another, and no terminal escape reaches whoever reads the log.
 */
export function escapeAuditText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/** `[recorded_at] [performer] [dest] [role] message`, absent tags left out (Kamal::Tags compacts nils); always one line. */
export function auditLine(tags: AuditTags, message: string, now = new Date()): string {
  const parts = [recordedAt(now), tags.performer, tags.destination, tags.role ?? null].filter((t): t is string => t !== null && t !== '');
  return escapeAuditText(`${parts.map((t) => `[${t}]`).join(' ')} ${message}`);
}

/**
 * Appends one line to `<run dir>/<svc>[-dest]-audit.log` (Kamal: `mkdir -p .kamal && echo … >> …`);
 * synchronously, as host-files.ts says why.
 */
export async function recordAudit(runDir: string, tags: AuditTags, message: string): Promise<void> {
  mkdirSync(runDir, { recursive: true });
  const path = hostPaths.auditLog(runDir, serviceAndDestination(tags.service, tags.destination));
  appendFileSync(path, auditLine(tags, message) + '\n');
}

export async function readAudit(runDir: string, service: string, destination: string | null, lines: number): Promise<{ path: string; lines: string[] }> {
  const path = hostPaths.auditLog(runDir, serviceAndDestination(service, destination));
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)));
  const all = text.split('\n').filter((l) => l !== '');
  return { path, lines: all.slice(-lines) };
}
