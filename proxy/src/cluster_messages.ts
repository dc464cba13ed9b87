/** Messages between the cluster primary and its workers (node:cluster IPC, our own processes). */
import type { HealthSnapshot } from './router.js';
import type { MetricsSnapshot } from './metrics.js';

/** Primary -> worker. */
export type ToWorker =
  | { kind: 'command'; id: number; method: string; params: unknown }
  | { kind: 'health'; snapshot: HealthSnapshot }
  | { kind: 'metrics'; id: number }
  | { kind: 'stop' };

/** Worker -> primary. */
export type ToPrimary =
  | { kind: 'ready'; http: number; https: number }
  | { kind: 'failed'; error: string }
  | { kind: 'reply'; id: number; error: string | null }
  | { kind: 'metrics'; id: number; snapshot: MetricsSnapshot };

const KINDS_TO_PRIMARY = new Set(['ready', 'failed', 'reply', 'metrics']);
const KINDS_TO_WORKER = new Set(['command', 'health', 'metrics', 'stop']);

function hasKind(m: unknown, kinds: Set<string>): boolean {
  return typeof m === 'object' && m !== null && kinds.has(String((m as { kind?: unknown }).kind));
}

export const isToPrimary = (m: unknown): m is ToPrimary => hasKind(m, KINDS_TO_PRIMARY);
export const isToWorker = (m: unknown): m is ToWorker => hasKind(m, KINDS_TO_WORKER);

/** `KAMAL_PROXY_WORKERS` (ours, not kamal-proxy's): a positive integer, else one worker per CPU. */
export function workerCount(raw: string | undefined, cpus: number): number {
  if (raw !== undefined && /^\d+$/.test(raw) && Number(raw) >= 1) return Number(raw);
  return Math.max(1, cpus);
}
